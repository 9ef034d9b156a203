// peer-reply.js - the peer's second stage: the npm package email-reply-parser.
//
//     node peer-reply.js IN.jsonl OUT.jsonl
//
// Reads what peer-parse.py wrote, takes each text through
// new EmailReplyParser().read(text).getVisibleText() (the reply without
// quotes and signatures) and writes {"id", "text"} per line. On stderr:
// "messages N seconds S" (the extraction loop alone, the file read first).
'use strict';
const fs = require('fs');
const path = require('path');
const erp = require(path.join(__dirname, 'node_modules', 'email-reply-parser'));
const EmailReplyParser = erp.default || erp;

const [inp, out] = process.argv.slice(2);
const lines = fs.readFileSync(inp, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
const t0 = process.hrtime.bigint();
const res = [];
for (const m of lines) {
  const visible = new EmailReplyParser().read(m.text).getVisibleText();
  res.push(JSON.stringify({ id: m.id, text: visible }));
}
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
fs.writeFileSync(out, res.join('\n') + '\n');
process.stderr.write(`messages ${lines.length} seconds ${secs.toFixed(4)}\n`);
