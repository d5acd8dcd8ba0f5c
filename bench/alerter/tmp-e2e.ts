import { measureEndToEnd } from './end-to-end.ts';
const t = Date.now();
console.log(JSON.stringify(await measureEndToEnd(Number(process.env.R ?? 1))));
console.log('s', (Date.now() - t) / 1000);
