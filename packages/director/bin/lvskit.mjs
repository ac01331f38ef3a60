#!/usr/bin/env node
import { runLvskit } from '@lvskit/director/cli';

process.exitCode = await runLvskit(process.argv.slice(2));
