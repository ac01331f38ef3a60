#!/usr/bin/env node
import { runLvsadm } from '@lvskit/director';

process.exitCode = await runLvsadm(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
});
