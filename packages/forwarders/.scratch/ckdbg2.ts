import { checksumUpdate16, internetChecksum } from '../src/checksum.ts';
import { rfc1071 } from '../test/golden/builder.ts';

console.time('big');
const big = new Uint8Array(70_000).fill(0xff);
console.log(internetChecksum(big, 0, big.length), rfc1071([...big]));
console.timeEnd('big');
console.log(checksumUpdate16(0xdd2f, 0x5555, 0x3285));
