#!/usr/bin/env python3
"""make-seeds.py BUILD_FUZZ_DIR — writes the seed corpora of the fuzz harnesses.

    python3 tests/fuzz/make-seeds.py build-fuzz

Every seed is a valid input (a record the seed catalogue accepts, a request the node would
take, a well-formed CSV file...) or a deliberate near-miss, so that libFuzzer starts from
inputs that reach the checks, not only the first byte of a parser. The records follow the
creditctl tests' (tests/creditctl/test_creditctl_*.py) with fixed dates before the harnesses'
"today", 2026-12-01. Binary seeds are packed from JSON by the build's fuzz_seed_pack, so
nothing here needs python3-protobuf. Re-running rewrites the seed-*
files and leaves regression inputs (any other name) alone.

Harness input layouts (see each harness's head comment):
  fuzz_request_decode  method index (fuzz_seed_pack --list), then the request's wire bytes
  fuzz_record_check    kind (0 public, 1 service unit, 2 association, 3 voluntary, 4 sample),
                       unit (index in the harness's demo-unit table), then wire bytes
  fuzz_json_lines      type (fuzz_input_types.h), then one JSON object
  fuzz_csv             type (fuzz_input_types.h), then a CSV file
  fuzz_catalogue_text  a text-format credit.v1.CatalogueVersion
  fuzz_pagetoken       even: a token's text; odd: position length, position, edits
  fuzz_peer_cert       a certificate in PEM (from a fresh dev PKI: public certificates only)
"""
import csv
import glob
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")

ACME = "91500227MA5UACME5L"       # subj-acme, a valid USCC
MARKET_USCC = "11500227MB1607285C"
SU_SUBJECT = "91500227MA5U7A9J1J"  # water's USCC, a valid one
ASSOC = "51500227MJP654324C"


def resident_id(first17):
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    s = sum(int(c) * w for c, w in zip(first17, weights))
    return first17 + "10X98765432"[s % 11]


REP_ID = resident_id("50022719800101123")


def legal(uscc, name="璧山种子测试有限公司 Seed Test Co"):
    return {"kind": "SUBJECT_KIND_LEGAL_PERSON", "name": name, "identifier": uscc,
            "legalRepresentative": "张三 Zhang San"}


def date(s):
    y, m, d = s.split("-")
    return {"year": int(y), "month": int(m), "day": int(d)}


def penalty(src, severity="SEVERITY_GENERAL"):
    return {
        "sourceRecordId": src, "category": "CATEGORY_PENALTY",
        "subject": dict(legal(ACME), legalRepresentativeIdType="ID_TYPE_RESIDENT_ID",
                        legalRepresentativeIdNumber=REP_ID),
        "occurredAt": "2026-11-01T09:00:00Z",
        "penalty": {
            "decisionDocumentNumber": "璧罚〔%s〕" % src, "violationType": "虚假宣传",
            "violationFacts": "在经营场所发布虚假广告\n\t(line two)",
            "legalBasis": "《广告法》第五十五条", "penaltyCategory": "罚款",
            "content": "罚款人民币5000元", "fineAmountFen": "500000",
            "decisionDate": date("2026-11-01"), "authority": "区市场监督管理局",
            "authorityUscc": MARKET_USCC, "sourceUnitUscc": MARKET_USCC,
            "severity": severity}}


def licence(src):
    return {
        "source_record_id": src, "category": 4,
        "subject": {"kind": 1, "name": "璧山种子测试有限公司", "identifier": ACME,
                    "legal_representative": "张三 Zhang San", "legal_representative_id_type": 1,
                    "legal_representative_id_number": REP_ID},
        "occurred_at": "2026-10-20T17:00:00.5+08:00",
        "licence": {
            "decision_document_name": "食品经营许可决定书",
            "decision_document_number": "璧市监许〔%s〕" % src, "licence_category": "普通",
            "certificate_name": "食品经营许可证", "licence_number": "LIC-" + src,
            "content": "预包装食品销售", "decision_date": date("2026-10-20"),
            "validFrom": date("2026-10-20"), "valid_to": date("2031-10-20"),
            "authority": "区市场监督管理局", "authority_uscc": MARKET_USCC,
            "current_status": "有效", "source_unit_uscc": MARKET_USCC},
        "extra": {"note": {"text": "复核"}, "count": {"integer": "3"}}}


def su(src, section="GOOD_CONDUCT"):
    body = {"conduct": "清理河道 cleaned the river", "conductDate": date("2026-11-19"),
            "basis": "村规民约第三条", "place": "璧城街道"}
    if section == "BAD_CONDUCT":
        body["evidenceReference"] = "EV-" + src
    return {"sourceRecordId": src, "section": section, "subject": legal(SU_SUBJECT),
            "occurredAt": "2026-11-21T09:00:00+08:00", "declaration": body}


def assoc(src, section="MEMBER"):
    rec = {"sourceRecordId": src, "section": section,
           "association": {"name": "璧山测试商会 Test Chamber", "uscc": ASSOC},
           "occurredAt": "2026-11-21T09:00:00+08:00"}
    if section == "GOVERNANCE":
        rec["subject"] = dict(legal(ASSOC, "璧山测试商会 Test Chamber"), kind="SUBJECT_KIND_SOCIAL_ORGANISATION")
        rec["governance"] = {"team": "会长一名、秘书长一名", "rules": "章程第五条",
                             "reportedOn": date("2026-11-11")}
    else:
        rec["subject"] = legal(ACME)
        rec["member"] = {"rating": "AAA", "award": "诚信会员", "evaluatedOn": date("2026-11-11")}
    return rec


def voluntary(src):
    return {"sourceRecordId": src, "section": "CHARITY", "subject": legal(ACME),
            "channel": "CHANNEL_SERVICE_WINDOW", "occurredAt": "2026-11-21T09:00:00+08:00",
            "claim": {"title": "2025 flood relief donation", "content": "捐款人民币一万元",
                      "claimedOn": date("2026-11-01"),
                      "evidence": {"documentDigest": "ab" * 32, "issuer": "区慈善总会",
                                   "reference": "RC-" + src}}}


def sample(metric="electricity_kwh", value=1234.5):
    return {"enterpriseUscc": ACME, "section": "ENERGY_USE", "metric": metric,
            "periodStart": "2026-11-30T00:00:00Z", "periodSeconds": 86400, "value": value}


PROPOSE = {"catalogue": "CATALOGUE_PUBLIC", "section": "PENALTY", "kind": "CHANGE_KIND_ADD_DIMENSION",
           "dimension": {"code": "appeal_note", "name": "复议说明 appeal note",
                         "type": "VALUE_TYPE_TEXT", "tier": "TIER_OPEN",
                         "description": "whether the decision was appealed"},
           "justification": "区司法局申请增加复议说明"}

# (type index in fuzz_input_types.h, record kind in fuzz_record_check, JSON, unit index)
RECORDS = [
    (0, 0, penalty("seed-pen-1"), 2), (0, 0, penalty("seed-pen-2", "SEVERITY_SERIOUS"), 1),
    (0, 0, licence("seed-lic-1"), 2),
    (1, 1, su("seed-su-1"), 5), (1, 1, su("seed-su-2", "BAD_CONDUCT"), 5),
    (2, 2, assoc("seed-as-1"), 6), (2, 2, assoc("seed-as-2", "GOVERNANCE"), 6),
    (3, 3, voluntary("seed-vol-1"), 10),
    (4, 4, sample(), 7), (4, 4, sample(value=-1), 7),
]
TYPE_NAMES = ["credit.v1.PublicRecordInput", "credit.v1.ServiceUnitRecordInput",
              "credit.v1.AssociationRecordInput", "credit.v1.VoluntaryRecordInput",
              "credit.v1.Sample", "credit.v1.ProposeChangeRequest"]


def clear(harness):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    for f in glob.glob(os.path.join(d, "seed-*")):
        os.remove(f)
    return d


def write(d, name, data):
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    pack_tool = os.path.join(sys.argv[1], "tests", "fuzz", "fuzz_seed_pack")

    def pack(type_name, obj):
        return subprocess.run([pack_tool, type_name], input=dumps(obj).encode(),
                              check=True, stdout=subprocess.PIPE).stdout

    methods = {}
    for line in subprocess.run([pack_tool, "--list"], check=True, stdout=subprocess.PIPE,
                               text=True).stdout.splitlines():
        i, path, _ = line.split()
        methods[path] = int(i)

    # creditctl's readers: one JSON object a seed, and CSV files.
    d = clear("fuzz_json_lines")
    for n, (t, _, obj, _) in enumerate(RECORDS):
        write(d, "%02d" % n, bytes([t]) + dumps(obj).encode())
    write(d, "propose", bytes([5]) + dumps(PROPOSE).encode())
    write(d, "broken", bytes([0]) + b'{"sourceRecordId": "push-broken", "category": ')
    write(d, "unknown-field", bytes([0]) + dumps(dict(penalty("x"), bogusField=1)).encode())

    d = clear("fuzz_csv")
    header = ["source_record_id", "category", "subject.kind", "subject.name",
              "subject.identifier", "occurred_at", "penalty.decision_document_number",
              "penalty.content", "penalty.fine_amount_fen", "penalty.decision_date",
              "penalty.decision_date.year", "penalty.severity", "extra.note:text", "extra.count",
              "extra.when"]
    rows = [header,
            ["csv-1", "CATEGORY_PENALTY", "SUBJECT_KIND_LEGAL_PERSON", "璧山, \"引号\" 公司", ACME,
             "2026-11-01T09:00:00Z", "璧罚〔1〕", "罚款\n第二行", "500000", "2026-11-01", "",
             "SEVERITY_GENERAL", "12", "3", "2026-11-02"],
            ["csv-2", "5", "1", "", ACME, "", "", "", "", "", "2026", "SEVERITY_MINOR", "", "1.5", "true"]]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    write(d, "public-crlf", bytes([0]) + ("\ufeff" + buf.getvalue()).encode())
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(
        [["source_record_id", "section", "subject.kind", "subject.name", "subject.identifier",
          "declaration.conduct", "declaration.conduct_date"],
         ["su-1", "GOOD_CONDUCT", "SUBJECT_KIND_LEGAL_PERSON", "璧山", SU_SUBJECT, "清理河道", "2026-11-19"],
         [], ["su-2", "BAD_CONDUCT", "", "", "", "", ""]])
    write(d, "service-unit", bytes([1]) + buf.getvalue().encode())
    write(d, "sample", bytes([4]) + ("enterprise_uscc,section,metric,period_start,value\n"
                                      "%s,ENERGY_USE,electricity_kwh,2026-11-30T00:00:00Z,12.5\n"
                                      % ACME).encode())
    write(d, "unterminated", bytes([0]) + b'source_record_id,category\n"open,5\n')
    write(d, "unknown-column", bytes([0]) + b"subject.nmae,category\nx,5\n")

    # The node's side: records as PushBatch and Push carry them, and every request kind.
    d = clear("fuzz_record_check")
    for n, (t, kind, obj, unit) in enumerate(RECORDS):
        write(d, "%02d" % n, bytes([kind, unit]) + pack(TYPE_NAMES[t], obj))

    d = clear("fuzz_request_decode")
    m = methods
    reqs = [
        ("/credit.v1.PublicCreditCollection/PushBatch", "credit.v1.PushBatchRequest",
         {"records": [penalty("b-1"), licence("b-2")]}),
        ("/credit.v1.PublicCreditCollection/Correct", "credit.v1.CorrectRequest",
         {"recordId": "0000019a6f3c2b1e5d9a7c4b8e2f1a3d", "record": penalty("b-1"),
          "reason": "更正罚款金额"}),
        ("/credit.v1.PublicCreditCollection/Withdraw", "credit.v1.WithdrawRequest",
         {"recordId": "0000019a6f3c2b1e5d9a7c4b8e2f1a3d", "reason": "撤回"}),
        ("/credit.v1.ServiceUnitCollection/PushBatch", "credit.v1.ServiceUnitBatchRequest",
         {"records": [su("s-1"), su("s-2", "BAD_CONDUCT")]}),
        ("/credit.v1.AssociationCollection/PushBatch", "credit.v1.AssociationBatchRequest",
         {"records": [assoc("a-1"), assoc("a-2", "GOVERNANCE")]}),
        ("/credit.v1.VoluntaryDeclaration/PushBatch", "credit.v1.VoluntaryBatchRequest",
         {"records": [voluntary("v-1")]}),
        ("/credit.v1.IndustrialDataCollection/PushSamples", "credit.v1.Sample", sample()),
        ("/credit.v1.CatalogueGovernance/ProposeChange", "credit.v1.ProposeChangeRequest",
         PROPOSE),
        ("/credit.v1.CatalogueGovernance/GetVersion", "credit.v1.GetVersionRequest",
         {"version": 1}),
        ("/credit.v1.UnitRegistry/RegisterUnit", "credit.v1.RegisterUnitRequest",
         {"code": "coop-7", "name": "Coop 7", "kind": "UNIT_KIND_FINANCE"}),
        ("/credit.v1.OpenQuery/ListRecords", "credit.v1.ListRecordsRequest",
         {"subject": {"kind": "SUBJECT_KIND_LEGAL_PERSON", "identifier": ACME},
          "categories": ["CATEGORY_PENALTY"], "pageSize": 50, "pageToken": "AQAAAAA",
          "sections": ["CHARITY"]}),
        ("/grpc.health.v1.Health/Check", "grpc.health.v1.HealthCheckRequest",
         {"service": ""}),
        ("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
         "grpc.reflection.v1.ServerReflectionRequest",
         {"fileContainingSymbol": "credit.v1.OpenQuery"}),
    ]
    for n, (path, type_name, obj) in enumerate(reqs):
        write(d, "%02d" % n, bytes([m[path]]) + pack(type_name, obj))
    # NUL and invalid UTF-8 inside a nested string: pbcheck's faults, on a PushBatch.
    batch = bytes([m["/credit.v1.PublicCreditCollection/PushBatch"]]) + pack(
        "credit.v1.PushBatchRequest", {"records": [penalty("nul-1")]})
    write(d, "nul", batch.replace("罚款".encode(), b"\x00\xff\xfe\xe7", 1))

    # The catalogue reader: the seed itself, and small texts for the grammar's corners.
    d = clear("fuzz_catalogue_text")
    with open(os.path.join(SOURCE, "proto", "catalogue.textproto"), "rb") as f:
        write(d, "catalogue", f.read())
    write(d, "grammar", (
        "# comment\nversion: 2 summary: 'a\\x41\\101\\u00e9\\U0001F600' \"b\" ;\n"
        "catalogues [{ catalogue: CATALOGUE_PUBLIC, sections < code: \"PENALTY\" "
        "dimensions { code: \"x\" type: VALUE_TYPE_DECIMAL minimum { value: -1.5e3 } "
        "maximum { value: inf } } > }]\neffective_at { seconds: 0x10 nanos: 07 }\n").encode())
    write(d, "bom-bad", "\ufeffcatalogues { catalogue: 99 }".encode())

    # Page tokens: a made one edited, and texts.
    d = clear("fuzz_pagetoken")
    write(d, "made", bytes([1, 16]) + b"0000019a6f3c2b1e" + bytes([0]))
    write(d, "made-edited", bytes([1, 5]) + b"units" + bytes([2, 3, 1, 9, 0x20]))
    write(d, "text", b"\x00AQAAAABpXH9gEDAwMDAwMTlhNmYzYzJiMWXbLLYt3rBvWbVdRb0hG8gP")
    write(d, "empty", b"\x00")

    # Certificates: public ones from a fresh dev PKI (the CA's name is the same every time).
    d = clear("fuzz_peer_cert")
    tmp = tempfile.mkdtemp(prefix="fuzz-seed-pki-")
    try:
        subprocess.run([os.path.join(SOURCE, "certs", "make-dev-certs.sh"), tmp + "/tls"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for rel in ["units/tax.crt", "units/cn-only.crt", "bad/revoked.crt", "bad/foreign.crt",
                    "bad/expired.crt", "bad/unknown.crt"]:
            with open(os.path.join(tmp, "tls", rel), "rb") as f:
                write(d, rel.replace("/", "-"), f.read())
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
