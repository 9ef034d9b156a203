// peer-reply.js - the peer's second stage: the npm package email-reply-parser.
//
//     node peer-reply.js IN.jsonl OUT.jsonl
//
// Reads what peer-parse.py wrote, takes each text through
// new EmailReplyParser().read(text).getVisibleText() (the reply without
// quotes and signatures) and writes {"id", "text"} per line. On stderr:
// "messages N seconds S" (reading, extracting and writing, one message at a time).
'use strict';
const fs = require('fs');
const path = require('path');
const erp = require(path.join(__dirname, 'node_modules', 'email-reply-parser'));
const EmailReplyParser = erp.default || erp;

const [inp, out] = process.argv.slice(2);
// line by line, as the first stage wrote them: one message in memory at a time
const readline = require('readline');
const t0 = process.hrtime.bigint();
const rl = readline.createInterface({ input: fs.createReadStream(inp, 'utf8'), crlfDelay: Infinity });
const ws = fs.createWriteStream(out);
let n = 0;
rl.on('line', (l) => {
  if (l.length === 0) return;
  const m = JSON.parse(l);
  const visible = new EmailReplyParser().read(m.text).getVisibleText();
  ws.write(JSON.stringify({ id: m.id, text: visible }) + '\n');
  n++;
});
rl.on('close', () => {
  ws.end(() => {
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    process.stderr.write(`messages ${n} seconds ${secs.toFixed(4)}\n`);
  });
});
