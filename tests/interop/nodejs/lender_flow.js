// lender_flow.js — a lender's whole flow through a client nobody here wrote: Node.js with
// @grpc/grpc-js and @grpc/proto-loader, from the shipped .proto files alone.
//
//   node lender_flow.js CONFIG_JSON
//
// CONFIG_JSON: {"target": "localhost:PORT", "ca": PEM file, "units": {code: {"cert", "key"}},
// "protoDir": the repository's proto/, "uscc": the subject, "template": a portrait template}.
// The flow: bank-a requests consent to the template and to the public catalogue; the subject
// (subj-acme) approves the first with its own certificate, the portal relays the approval of
// the second; bank-a runs an authorized query and gets the portrait; the portrait's signature
// is checked with node's crypto against the key the node publishes, and checked again with a
// byte changed. Prints one JSON object with what it saw; exits 1 on any error.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');

const cfg = JSON.parse(process.argv[2]);
const def = loader.loadSync(
  ['credit/v1/authorization.proto', 'credit/v1/finance.proto', 'credit/v1/sharing.proto'],
  {includeDirs: [cfg.protoDir], keepCase: true, longs: String, enums: String, defaults: true});
const v1 = grpc.loadPackageDefinition(def).credit.v1;
const ca = fs.readFileSync(cfg.ca);
const DEADLINE_MS = 20000;

function client(Service, who) {
  const u = cfg.units[who];
  const creds = grpc.credentials.createSsl(ca, fs.readFileSync(u.key), fs.readFileSync(u.cert));
  return new Service(cfg.target, creds);
}

function call(c, method, req) {
  return new Promise((resolve, reject) => {
    c[method](req, {deadline: Date.now() + DEADLINE_MS}, (err, resp) =>
      err ? reject(new Error(`${method}: ${err.code} ${err.details}`)) : resolve(resp));
  });
}

// The answer's bytes as sent: the signature covers them, not a re-encoding.
function rawCall(c, service, method, req) {
  const m = def[`credit.v1.${service}`][method];
  return new Promise((resolve, reject) => {
    c.makeUnaryRequest(m.path, m.requestSerialize, (b) => b, req,
      {deadline: Date.now() + DEADLINE_MS},
      (err, resp) => err ? reject(new Error(`${method}: ${err.code} ${err.details}`)) : resolve(resp));
  });
}

function varint(buf, at) {
  let v = 0n, shift = 0n;
  for (;;) {
    if (at >= buf.length) throw new Error('truncated varint');
    const b = buf[at++];
    v |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return [v, at];
    shift += 7n;
  }
}

// Splits a portrait's encoding into the signed bytes and the signature: field 15, last.
function splitSignature(buf) {
  let at = 0, start = -1, sig = null;
  while (at < buf.length) {
    const fieldStart = at;
    let tag, n;
    [tag, at] = varint(buf, at);
    const wire = Number(tag & 7n), field = Number(tag >> 3n);
    if (start >= 0) throw new Error('a field after the signature');
    if (wire === 0) [n, at] = varint(buf, at);
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      [n, at] = varint(buf, at);
      if (field === 15) { start = fieldStart; sig = buf.subarray(at, at + Number(n)); }
      at += Number(n);
    } else throw new Error('unknown wire type ' + wire);
  }
  if (start < 0) throw new Error('no signature');
  return [buf.subarray(0, start), sig];
}

function digest(text) {
  return crypto.createHash('sha256').update(text).digest('hex');
}

async function main() {
  const subject = {kind: 'SUBJECT_KIND_LEGAL_PERSON', identifier: cfg.uscc};
  const now = Math.floor(Date.now() / 1000);
  const today = new Date();
  const consent = (scope) => ({
    subject, purpose_code: 'LOAN_APPRAISAL', purpose_text: '小微企业贷款审批 loan appraisal',
    scope, data_from: {year: 2000, month: 1, day: 1},
    data_to: {year: today.getUTCFullYear() + 1, month: 1, day: 1},
    valid_until: {seconds: String(now + 30 * 86400), nanos: 0}, use_limit: 5,
  });
  const bank = client(v1.Authorization, 'bank-a');
  const acme = client(v1.Authorization, 'subj-acme');
  const portal = client(v1.Authorization, 'portal');

  // 1. The lender files two requests; the subject approves one, the portal relays the other.
  const asked = await call(bank, 'RequestConsent', consent({portrait_template: cfg.template}));
  const askedData = await call(bank, 'RequestConsent', consent({catalogues: ['CATALOGUE_PUBLIC']}));
  const granted = await call(acme, 'ApproveConsent',
    {grant_id: asked.grant_id, document_digest: digest('signed consent ' + asked.grant_id)});
  const grantedData = await call(portal, 'ApproveConsent',
    {grant_id: askedData.grant_id, document_digest: digest('signed at the window')});

  // 2. An authorized query under the data grant.
  const query = client(v1.AuthorizedQuery, 'bank-a');
  const listed = await call(query, 'ListRecords',
    {grant_id: grantedData.grant_id, request: {subject}});

  // 3. The portrait, as bytes, and the node's key.
  const fin = client(v1.CreditFinance, 'bank-a');
  const raw = await rawCall(fin, 'CreditFinance', 'GetPortrait',
    {subject, template: cfg.template, grant_id: granted.grant_id});
  const portrait = def['credit.v1.CreditFinance'].GetPortrait.responseDeserialize(raw);
  const key = await call(fin, 'GetSigningKey', {});

  // 4. Offline: the signature over the bytes before field 15, with node's crypto.
  const [body, sig] = splitSignature(raw);
  const verified = crypto.verify('sha256', body, key.public_key_pem, sig);
  const changed = Buffer.from(body);
  changed[Math.floor(changed.length / 2)] ^= 0x01;
  const changedVerified = crypto.verify('sha256', changed, key.public_key_pem, sig);

  // 5. The subject sees the use.
  const uses = await call(acme, 'ListUses', {grant_id: granted.grant_id});
  const grants = await call(acme, 'ListGrants', {});

  console.log(JSON.stringify({
    grant_status: granted.status, data_grant_status: grantedData.status,
    data_grant_approved_by: grantedData.approved_by,
    listed: listed.records.length,
    portrait_id: portrait.portrait_id, template: portrait.template,
    template_version: portrait.template_version, key_id: portrait.key_id,
    published_key_id: key.key_id,
    items: portrait.items.map((i) => ({code: i.code, count: i.count,
      entries: i.entries.map((e) => e.provenance.record_id)})),
    verified, changed_verified: changedVerified,
    uses: uses.uses.map((u) => ({used_by: u.used_by, read: u.read})),
    grants_seen_by_subject: grants.grants.length,
  }));
  for (const c of [bank, acme, portal, query, fin]) c.close();
}

main().catch((e) => { console.error(e.message); process.exit(1); });
