"""test_creditctl_import.py: `creditctl push` of files as clerks have them (issue 13).

One node for the module (harness.Node, fresh PKI). Every fixture is made here as Excel or a
departmental system writes it: GB18030 with a Chinese header (names from the catalogue in
force, the clerk's own through --map), dates as 2024/1/5 and 2024年1月5日, times without a
zone, fines in 元 with thousands separators, enum values by their Chinese label; UTF-8 with a
byte order mark and CRLF; all-empty rows and trailing empty cells and columns; a quoted cell
with a line break; a file with 30% bad rows. For each, the test checks what the node stored
(read back with `creditctl query --json`), the summary, and the rejects file (--rejects): the
rejected rows as they were, in the input's encoding, with reject_reason and reject_column
added, which is then corrected and imported. An import interrupted with SIGINT is resumed,
and no rejection is ever lost: each run's summary and rejects file hold every row refused
so far. The state refuses a file changed in one character, and an unclosed quote mid-file
ends with a summary of what was stored.

Run (from tests/creditctl/; the harness is tests/interop/harness.py):
  PYTHONPATH=../interop CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> CREDIT_DESC=.../credit.desc \
      /usr/bin/python3 -m unittest -v test_creditctl_import
"""

import csv
import datetime
import io
import json
import os
import re
import signal
import subprocess
import time
import unittest

import harness
from harness import CtlCase, recent_day
from harness import MARKET_USCC, REP_ID

CTL = harness.CREDITCTL

SUBJECT = harness.make_uscc("91500227MA%06d" % 751001)
BULK = harness.make_uscc("91500227MA%06d" % 751002)
EDGE = harness.make_uscc("91500227MA%06d" % 751003)
STATE_SUBJECT = harness.make_uscc("91500227MA%06d" % 751004)


def bad_check(uscc):
    """The same code with another check character: same length, refused by the node."""
    return uscc[:-1] + ("X" if uscc[-1] != "X" else "Y")


class _State(harness.CtlModule):
    pass


S = _State("creditctl-import")
setUpModule = S.setup
tearDownModule = S.teardown


def write_bytes(name, data):
    path = os.path.join(S.tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def to_csv(rows, crlf=True):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n" if crlf else "\n").writerows(rows)
    return buf.getvalue()


def read_csv(text):
    return list(csv.reader(io.StringIO(text, newline="")))


def slash(d):
    return "%d/%d/%d" % (d.year, d.month, d.day)


def chinese(d):
    return "%d年%d月%d日" % (d.year, d.month, d.day)


# A clerk's header: the catalogue's Chinese names, and (through --map) the clerk's own for the
# source id, the category and the fine in 元. 数据来源单位统一社会信用代码 and 备注 name a field
# in several sections: the other columns (penalty.*) say which.
CN_HEADER = ["业务编号", "信息类别", "主体类别", " 主体名称 ", "主体标识", "法定代表人",
             "法定代表人证件类型", "法定代表人证件号码", "发生时间", "行政处罚决定书文号",
             "违法行为类型", "违法事实", "处罚依据", "处罚类别", "处罚内容", "罚款金额（元）",
             "处罚决定日期", "处罚机关", "处罚机关统一社会信用代码", "数据来源单位统一社会信用代码",
             "失信行为严重程度", "备注"]
MAP = "column,field\n业务编号,source_record_id\n信息类别,category\n罚款金额（元）,penalty.fine_amount_fen\n"


def cn_row(src, uscc=SUBJECT, decided=None, fine="5,000.00", severity="一般", when=None):
    d = decided or recent_day(30)
    return [src, "行政处罚", "法人", "璧山导入测试有限公司", uscc, "张三", "ID_TYPE_RESIDENT_ID", REP_ID,
            when or "%s 9:30" % slash(d), "璧市监罚〔%s〕" % src, "虚假宣传", "发布虚假广告",
            "《广告法》第五十五条", "罚款", "罚款人民币五千元", fine, chinese(d), "区市场监督管理局",
            MARKET_USCC, MARKET_USCC, severity, "无"]


PATH_HEADER = [
    "source_record_id", "category", "subject.kind", "subject.name", "subject.identifier",
    "subject.legal_representative", "subject.legal_representative_id_type",
    "subject.legal_representative_id_number", "occurred_at", "penalty.decision_document_number",
    "penalty.violation_type", "penalty.violation_facts", "penalty.legal_basis",
    "penalty.penalty_category", "penalty.content", "penalty.fine_amount_fen",
    "penalty.decision_date", "penalty.authority", "penalty.authority_uscc",
    "penalty.source_unit_uscc", "penalty.severity"]


def path_row(src, uscc, facts="发布虚假广告", decided=None, fine="500000"):
    d = decided or recent_day(30)
    return [src, "CATEGORY_PENALTY", "SUBJECT_KIND_LEGAL_PERSON", "璧山导入测试有限公司", uscc, "张三",
            "ID_TYPE_RESIDENT_ID", REP_ID, "%s 09:00" % d.isoformat(), "璧罚〔%s〕" % src, "虚假宣传", facts,
            "《广告法》第五十五条", "罚款", "罚款人民币五千元", fine, d.isoformat(), "区市场监督管理局",
            MARKET_USCC, MARKET_USCC, "SEVERITY_GENERAL"]


REJECTED_LINE = re.compile(r"^line (\d+): ")


def rejected_lines(out):
    return [int(m.group(1)) for m in map(REJECTED_LINE.match, out.splitlines()) if m]


class ImportCase(CtlCase):

    def run_ctl(self, want, args, who="market"):
        return self.assertExit(want, harness.creditctl_as(S.node.port, who, args), args, who=who)

    def stored(self, uscc):
        out, _ = self.run_ctl(0, ["--json", "query", "--tier", "government", "--catalogue",
                                  "public", "SUBJECT_KIND_LEGAL_PERSON", uscc], who="office")
        return {r["meta"]["sourceRecordId"]: r for r in map(json.loads, out.splitlines())}

    def assertNoRawBytes(self, text):
        self.assertNotIn("\ufffd", text, "bytes of another encoding reached the terminal")


class T1ExcelGB18030(ImportCase):

    def test_1_gb18030_with_a_chinese_header_clerks_formats_and_a_rejects_file(self):
        d = recent_day(30)
        rows = [CN_HEADER,
                cn_row("imp-g1"),
                cn_row("imp-g2", fine="12,345.6", when="%s" % chinese(d)),
                cn_row("imp-g3", severity="严重"),
                # line 5: an impossible date; line 6: a severity that is no label
                cn_row("imp-g4")[:16] + ["%d年2月30日" % d.year] + cn_row("imp-g4")[17:],
                cn_row("imp-g5", severity="很严重")]
        data = to_csv(rows).encode("gb18030")
        path = write_bytes("处罚.csv", data)
        mp = write_bytes("map.csv", MAP.encode("utf-8"))
        rejects = os.path.join(S.tmp, "处罚-rejects.csv")

        # Not said to be GB18030: refused on its first rows, naming the encoding and the option.
        _, err = self.run_ctl(2, ["push", path])
        self.assertIn("line 1", err)
        self.assertIn("GB18030", err)
        self.assertIn("--encoding gb18030", err)
        self.assertNoRawBytes(err)
        self.assertFalse(os.path.exists(path + ".state"))

        # A Chinese amount column needs its unit said.
        _, err = self.run_ctl(2, ["push", "--encoding", "gb18030", "--map", mp, path])
        self.assertIn("罚款金额（元）", err)
        self.assertIn("--amount-unit", err)

        args = ["push", "--encoding", "gb18030", "--map", mp, "--amount-unit", "yuan",
                "--rejects", rejects, path]
        out, err = self.run_ctl(1, args)
        self.assertEqual(self.push_summary(out), (5, 3, 3, 0, 0, 2), out)
        lines = out.splitlines()
        self.assertEqual(lines[1], "line 5: column 17 (处罚决定日期): \"%d年2月30日\" is an "
                                   "impossible date: %d-02 has %d days, not 30"
                                   % (d.year, d.year, 29 if d.year % 4 == 0 else 28))
        self.assertRegex(lines[2], r"^line 6: column 21 \(失信行为严重程度\): .*很严重.* is not a "
                                   r"value of credit\.v1\.Severity; allowed: SEVERITY_MINOR \(轻微\), "
                                   r"SEVERITY_GENERAL \(一般\), SEVERITY_SERIOUS \(严重\)")
        self.assertIn("rejected rows: %s" % rejects, out)

        got = self.stored(SUBJECT)
        self.assertEqual(sorted(got), ["imp-g1", "imp-g2", "imp-g3"])
        self.assertEqual(got["imp-g1"]["penalty"]["fineAmountFen"], "500000")
        self.assertEqual(got["imp-g2"]["penalty"]["fineAmountFen"], "1234560")
        self.assertEqual(got["imp-g1"]["penalty"]["severity"], "SEVERITY_GENERAL")
        self.assertEqual(got["imp-g3"]["penalty"]["severity"], "SEVERITY_SERIOUS")
        self.assertEqual(got["imp-g1"]["meta"]["subject"]["kind"], "SUBJECT_KIND_LEGAL_PERSON")
        self.assertEqual(got["imp-g1"]["penalty"]["decisionDate"],
                         {"year": d.year, "month": d.month, "day": d.day})
        # 9:30 in China is 01:30 UTC; a date alone is its midnight in China.
        self.assertEqual(got["imp-g1"]["meta"]["occurredAt"], "%sT01:30:00Z" % d.isoformat())
        self.assertEqual(got["imp-g2"]["meta"]["occurredAt"],
                         "%sT16:00:00Z" % (d - datetime.timedelta(days=1)).isoformat())

        # The rejects file: GB18030 (as the input), CRLF, the header and the two bad rows as
        # they were, with the reason and the column.
        with open(rejects, "rb") as f:
            raw = f.read()
        text = raw.decode("gb18030")
        self.assertEqual(text.count("\r\n"), 3)
        back = read_csv(text)
        self.assertEqual(back[0], CN_HEADER + ["reject_reason", "reject_column"])
        self.assertEqual(back[1][:21], rows[4][:21])
        self.assertIn("impossible", back[1][22])
        self.assertEqual(back[1][23], "处罚决定日期")
        self.assertEqual(back[2][:22], rows[5])
        self.assertEqual(back[2][23], "失信行为严重程度")

        # The clerk fixes the rejects file and imports it: the fixed rows are stored.
        back[1][16] = chinese(d)
        back[2][20] = "轻微"
        fixed = write_bytes("处罚-fixed.csv", to_csv(back).encode("gb18030"))
        out, _ = self.run_ctl(0, ["push", "--encoding", "gb18030", "--map", mp,
                                  "--amount-unit", "yuan", fixed])
        self.assertEqual(self.push_summary(out), (2, 2, 2, 0, 0, 0), out)
        got = self.stored(SUBJECT)
        self.assertEqual(sorted(got), ["imp-g1", "imp-g2", "imp-g3", "imp-g4", "imp-g5"])
        self.assertEqual(got["imp-g5"]["penalty"]["severity"], "SEVERITY_MINOR")

    def test_2_an_amount_named_in_fen_refuses_yuan_and_enums_take_numbers(self):
        path = write_bytes("fen.csv", to_csv([PATH_HEADER,
                                              path_row("imp-n1", SUBJECT)]).encode())
        _, err = self.run_ctl(2, ["push", "--amount-unit", "yuan", path])
        self.assertIn("penalty.fine_amount_fen", err)
        self.assertIn("named in fen", err)
        row = path_row("imp-n1", SUBJECT, fine="600,000")
        row[1], row[2], row[20] = "5", "1", "2"  # CATEGORY_PENALTY, LEGAL_PERSON, GENERAL
        path = write_bytes("numbers.csv", to_csv([PATH_HEADER, row]).encode())
        out, _ = self.run_ctl(0, ["push", path])
        self.assertEqual(self.push_summary(out), (1, 1, 1, 0, 0, 0), out)
        self.assertEqual(self.stored(SUBJECT)["imp-n1"]["penalty"]["fineAmountFen"], "600000")


class T2ExcelUTF8(ImportCase):

    def test_1_bom_crlf_blank_rows_trailing_cells_and_a_quoted_line_break(self):
        header = PATH_HEADER + ["", ""]  # Excel's trailing empty columns
        good = path_row("imp-u1", EDGE) + ["", ""]
        multi = path_row("imp-u2", bad_check(EDGE), facts="第一行\r\n第二行, \"引号\"") + ["", ""]
        short = path_row("imp-u3", EDGE)  # trailing empty cells left off
        blank = [""] * len(header)
        text = "\ufeff" + to_csv([header, good, blank, multi, blank, short, blank])
        path = write_bytes("excel-utf8.csv", text.encode("utf-8"))
        rejects = os.path.join(S.tmp, "excel-utf8-rejects.csv")
        out, _ = self.run_ctl(1, ["push", "--rejects", rejects, path])
        self.assertEqual(self.push_summary(out), (3, 2, 2, 0, 0, 1), out)
        self.assertRegex(out.splitlines()[1], r"^line 4: subject\.identifier: .+ "
                                              r"\(INVALID_ARGUMENT\)$")
        got = self.stored(EDGE)
        self.assertEqual(sorted(got), ["imp-u1", "imp-u3"])
        with open(rejects, "rb") as f:
            raw = f.read()
        self.assertTrue(raw.startswith(b"\xef\xbb\xbf"), "the byte order mark is kept")
        text = raw.decode("utf-8-sig")
        back = read_csv(text)
        self.assertEqual(len(back), 2)
        self.assertEqual(back[0], header + ["reject_reason", "reject_column"])
        self.assertEqual(back[1][:len(multi)], multi)
        self.assertEqual(back[1][11], "第一行\r\n第二行, \"引号\"", "the quoted cell as it was")
        self.assertIn("(INVALID_ARGUMENT)", back[1][-2])
        self.assertEqual(back[1][-1], "subject.identifier")
        self.assertTrue(text.endswith("\r\n"))


class T2bEveryFault(ImportCase):

    def test_1_the_node_names_every_fault_of_a_record_with_reason_codes(self):
        # As python3-grpcio sees it: PushResult.faults, each with a field and a reason code.
        rec = harness.penalty_input("imp-f1", harness.legal_subject(bad_check(EDGE)))
        rec.penalty.authority = ""
        rec.penalty.decision_document_number = ""
        with harness.Stubs(S.node.port, "market") as st:
            res = st.push(rec).results[0]
        self.assertEqual(res.outcome, harness.R.PUSH_OUTCOME_REJECTED)
        got = {(f.field, f.reason_code) for f in res.faults}
        self.assertTrue({("subject.identifier", "BAD_USCC"), ("penalty.authority", "REQUIRED"),
                         ("penalty.decision_document_number", "REQUIRED")} <= got, got)
        self.assertEqual((res.field, res.reason_code), (res.faults[0].field,
                                                        res.faults[0].reason_code))
        self.assertEqual(len({f.field for f in res.faults}), len(res.faults), "one per field")

        # creditctl lists each, and writes the row once with all of them.
        row = path_row("imp-f2", bad_check(EDGE))
        row[9] = ""   # penalty.decision_document_number
        row[17] = ""  # penalty.authority
        path = write_bytes("faults.csv", to_csv([PATH_HEADER, row]).encode())
        rejects = os.path.join(S.tmp, "faults-rejects.csv")
        out, _ = self.run_ctl(1, ["push", "--rejects", rejects, path])
        self.assertEqual(self.push_summary(out), (1, 0, 0, 0, 0, 1), out)
        listed = out.splitlines()[1:]
        self.assertTrue(any(l.startswith("line 2: subject.identifier: ") for l in listed), out)
        self.assertTrue(any(l.startswith("line 2: penalty.authority: ") for l in listed), out)
        self.assertTrue(any(l.startswith("line 2: penalty.decision_document_number: ")
                            for l in listed), out)
        with open(rejects, encoding="utf-8", newline="") as f:
            back = read_csv(f.read())
        self.assertEqual(len(back), 2, "the row once")
        cols = back[1][-1].split("; ")
        self.assertTrue({"subject.identifier", "penalty.authority",
                         "penalty.decision_document_number"} <= set(cols), cols)
        self.assertEqual(len(back[1][-2].split("; ")), len(cols))


class T3BadRowsAndInterruption(ImportCase):
    ROWS = 400

    def bulk(self):
        """ROWS rows, 30% bad: every tenth a bad date (refused here), every tenth + 3 a bad
        check character, every tenth + 7 an unknown severity (both refused by the node or
        here). Returns the text and the lines of the bad rows."""
        rows, bad = [PATH_HEADER], []
        for i in range(self.ROWS):
            row = path_row("imp-b%04d" % i, BULK)
            if i % 10 == 0:
                row[16] = "2025-02-30"
            elif i % 10 == 3:
                row[4] = bad_check(BULK)
            elif i % 10 == 7:
                row[20] = "VERY_BAD"
            else:
                rows.append(row)
                continue
            rows.append(row)
            bad.append(i + 2)
        return to_csv(rows), bad

    @staticmethod
    def rows_done(state):
        try:
            with open(state) as f:
                m = re.search(r"^rows (\d+)$", f.read(), re.M)
        except FileNotFoundError:
            return 0
        return int(m.group(1)) if m else 0

    def test_1_an_interrupted_import_loses_no_rejection(self):
        text, bad = self.bulk()
        self.assertEqual(len(bad), self.ROWS * 3 // 10)
        path = write_bytes("bulk.csv", text.encode())
        rejects = os.path.join(S.tmp, "bulk-rejects.csv")
        state = path + ".state"
        argv = [CTL] + harness.ctl_flags(S.node.port, "market") + [
            "push", "--batch", "2", "--rejects", rejects, path]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=harness.ctl_env())
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None:
                if self.rows_done(state) >= 40:
                    break
                time.sleep(0.002)
            self.assertIsNone(proc.poll(), "creditctl ended before it could be interrupted")
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        out = out.decode()
        self.assertEqual(proc.returncode, 130, out + err.decode())
        m = re.search(r"^interrupted: (\d+) rows \(to line (\d+)\) are done: (\d+) accepted .*, "
                      r"(\d+) rejected; nothing after line \2 is stored. Run the same command "
                      r"again to go on$", out, re.M)
        self.assertIsNotNone(m, out)
        done, to_line, accepted, rejected = (int(x) for x in m.groups())
        self.assertLess(done, self.ROWS)
        self.assertEqual(to_line, done + 1)
        first_run = rejected_lines(out)
        self.assertEqual(first_run, [b for b in bad if b <= to_line], out)
        self.assertEqual(rejected, len(first_run))
        self.assertEqual(accepted + rejected, done)
        self.assertEqual(len(self.stored(BULK)), accepted, "the summary says what is stored")
        with open(rejects) as f:
            self.assertEqual(len(read_csv(f.read())) - 1, len(first_run))
        harness.observe("import: SIGINT after %d of %d rows" % (done, self.ROWS))

        # The rerun goes on, and its summary and rejects file hold every rejection, the first
        # run's included.
        out, _ = self.run_ctl(1, ["push", "--batch", "2", "--rejects", rejects, path])
        self.assertEqual(rejected_lines(out), bad, out)
        self.assertEqual(len(self.stored(BULK)), self.ROWS - len(bad))
        with open(rejects) as f:
            back = read_csv(f.read())
        self.assertEqual(len(back) - 1, len(bad))
        self.assertEqual([r[0] for r in back[1:]], ["imp-b%04d" % (b - 2) for b in bad])
        self.assertEqual(sum("impossible" in r[-2] for r in back[1:]), self.ROWS // 10)
        self.assertEqual(sum("allowed: SEVERITY_MINOR (轻微), SEVERITY_GENERAL (一般), "
                             "SEVERITY_SERIOUS (严重)" in r[-2]
                             for r in back[1:]),
                         self.ROWS // 10)

        # Already imported: nothing sent, and still every rejection, in the output and the file.
        os.unlink(rejects)
        out, _ = self.run_ctl(1, ["push", "--rejects", rejects, path])
        self.assertIn("already imported", out.splitlines()[0])
        self.assertEqual(rejected_lines(out), bad)
        with open(rejects) as f:
            self.assertEqual(len(read_csv(f.read())) - 1, len(bad))


class T4State(ImportCase):

    def test_1_a_file_fixed_in_one_character_is_refused_until_restart(self):
        rows = [PATH_HEADER] + [path_row("imp-s%d" % i, STATE_SUBJECT) for i in range(3)]
        rows[2][4] = bad_check(STATE_SUBJECT)
        path = write_bytes("fixed.csv", to_csv(rows).encode())
        out, _ = self.run_ctl(1, ["push", path])
        self.assertEqual(self.push_summary(out), (3, 2, 2, 0, 0, 1), out)
        rows[2][4] = STATE_SUBJECT  # the same length: the whole file's SHA-256 tells
        write_bytes("fixed.csv", to_csv(rows).encode())
        _, err = self.run_ctl(2, ["push", path])
        self.assertIn("has changed since the state", err)
        self.assertIn("--restart", err)
        out, _ = self.run_ctl(0, ["push", "--restart", path])
        self.assertEqual(self.push_summary(out), (3, 3, 1, 2, 0, 0), out)

    def test_2_an_unclosed_quote_ends_with_what_was_stored(self):
        rows = [PATH_HEADER] + [path_row("imp-q%d" % i, STATE_SUBJECT) for i in range(5)]
        text = to_csv(rows, crlf=False) + 'imp-q9,"CATEGORY_PENALTY\n\n'
        path = write_bytes("unclosed.csv", text.encode())
        out, err = self.run_ctl(2, ["push", "--batch", "2", path])
        self.assertIn("line 7: column 2: the quoted field that starts here is not closed", err)
        self.assertEqual(self.push_summary(out), (5, 5, 5, 0, 0, 0), out)
        self.assertRegex(out, r"(?m)^stopped at line 7: 5 rows \(to line 6\) are done: 5 "
                              r"accepted .*, 0 rejected; nothing from line 7 on was read")
        self.assertTrue({"imp-q%d" % i for i in range(5)} <= set(self.stored(STATE_SUBJECT)))
        with open(path + ".state") as f:
            self.assertIn("\nrows 5\n", f.read())

    def test_3_a_node_out_of_reach_ends_with_what_was_stored(self):
        line = json.dumps({"sourceRecordId": "imp-x1", "category": "CATEGORY_PENALTY"})
        path = write_bytes("unreachable.jsonl", (line + "\n").encode())
        flags = harness.ctl_flags(S.node.port, "market")
        flags[flags.index("--target") + 1] = "127.0.0.1:1"  # nothing listens there
        rc, out, err = harness.run_creditctl(flags + ["--timeout", "2000", "push", path])
        self.assertEqual(rc, 1, out + err)
        self.assertIn("UNAVAILABLE", err)
        self.assertRegex(out, r"(?m)^failed: 0 rows \(to line 0\) are done: 0 accepted .*; "
                              r"nothing after line 0 is stored")


class T5Language(ImportCase):

    def test_1_the_summary_follows_the_locale_and_english_is_the_default(self):
        rows = [PATH_HEADER, path_row("imp-l1", STATE_SUBJECT),
                path_row("imp-l2", bad_check(STATE_SUBJECT))]
        path = write_bytes("lang.csv", to_csv(rows).encode())
        args = harness.ctl_flags(S.node.port, "market") + ["push", "--restart", path]
        rc, out, _ = harness.run_creditctl(args, env=harness.ctl_env({"LANG": "zh_CN.UTF-8",
                                                                      "LC_ALL": ""}))
        self.assertEqual(rc, 1, out)
        lines = out.splitlines()
        self.assertRegex(lines[0], r"^已推送 2 条记录：接受 1 条（新建 \d 条，未变 \d 条，新版本 0 条），"
                                   r"拒绝 1 条$")
        self.assertRegex(lines[1], r"^第 3 行：subject\.identifier：.+（INVALID_ARGUMENT）$")
        rc, out, _ = harness.run_creditctl(args, env=harness.ctl_env({"LANG": "C", "LC_ALL": "",
                                                                      "LANGUAGE": ""}))
        self.assertEqual(rc, 1, out)
        self.assertEqual(self.push_summary(out), (2, 1, 0, 1, 0, 1), out)

    def test_2_the_nodes_reasons_are_translated_by_reason_code(self):
        # A row the node refuses for a bad USCC: in Chinese the template of BAD_USCC, on the
        # terminal and in the rejects file; in English the node's own sentence, which holds
        # more (the check character), so the two are not one table of words.
        rows = [PATH_HEADER, path_row("imp-l3", bad_check(STATE_SUBJECT)),
                path_row("imp-l4", STATE_SUBJECT)]
        rows[2][16] = "2024/2/30"  # penalty.decision_date: refused by creditctl's reader
        path = write_bytes("lang2.csv", to_csv(rows).encode())
        rejects = os.path.join(S.tmp, "lang2-rejects.csv")
        args = harness.ctl_flags(S.node.port, "market") + ["push", "--restart", "--rejects",
                                                           rejects, path]
        rc, out, _ = harness.run_creditctl(args, env=harness.ctl_env({"LANG": "zh_CN.UTF-8",
                                                                      "LC_ALL": ""}))
        self.assertEqual(rc, 1, out)
        self.assertIn("第 2 行：subject.identifier：不是有效的统一社会信用代码（INVALID_ARGUMENT）",
                      out.splitlines(), out)
        with open(rejects, encoding="utf-8", newline="") as f:
            back = read_csv(f.read())
        self.assertEqual(back[1][-2:], ["不是有效的统一社会信用代码 (INVALID_ARGUMENT)",
                                        "subject.identifier"], back)
        # A cell creditctl's own reader refuses: its words translated, the cell as it was.
        self.assertIn("第 3 行：第 17 列（penalty.decision_date）：\"2024/2/30\" 是不可能的日期："
                      "2024-02 只有 29 天，没有第 30 天", out.splitlines(), out)
        # LANGUAGE alone asks for Chinese too (under a locale that is not "C").
        rc, out, _ = harness.run_creditctl(args, env=harness.ctl_env(
            {"LANG": "C.UTF-8", "LC_ALL": "", "LANGUAGE": "zh_CN"}))
        self.assertEqual(rc, 1, out)
        self.assertIn("不是有效的统一社会信用代码", out)
        rc, out, _ = harness.run_creditctl(args, env=harness.ctl_env({"LANG": "C", "LC_ALL": "",
                                                                      "LANGUAGE": ""}))
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"(?m)^line 2: subject\.identifier: is not a valid unified social "
                              r"credit code: check character is '.', expected '.' "
                              r"\(INVALID_ARGUMENT\)$")
        self.assertIn('line 3: column 17 (penalty.decision_date): "2024/2/30" is an impossible '
                      'date: 2024-02 has 29 days, not 30', out.splitlines(), out)
        self.assertNotIn("统一社会信用代码", out)

    def test_3_usage_errors_and_headings_follow_the_locale(self):
        zh = harness.ctl_env({"LANG": "zh_CN.UTF-8", "LC_ALL": ""})
        en = harness.ctl_env({"LANG": "C", "LC_ALL": "", "LANGUAGE": ""})
        rc, _, err = harness.run_creditctl(["frobnicate"], env=zh)
        self.assertEqual(rc, 2)
        self.assertIn("creditctl: 未知的命令“frobnicate”", err)
        self.assertIn("用法：creditctl", err)
        rc, _, err = harness.run_creditctl(["frobnicate"], env=en)
        self.assertEqual(rc, 2)
        self.assertIn("creditctl: unknown command 'frobnicate'", err)
        self.assertIn("usage: creditctl", err)
        rc, out, _ = harness.run_creditctl(["--help"], env=zh)
        self.assertEqual(rc, 0)
        self.assertIn("命令：", out)
        rc, out, _ = harness.run_creditctl(["--help"], env=en)
        self.assertIn("Commands:", out)
        # A table's headings are words: translated; the values are the node's: never.
        args = harness.ctl_flags(S.node.port, "market") + ["units", "--kind", "department"]
        rc, out, _ = harness.run_creditctl(args, env=zh)
        self.assertEqual(rc, 0, out)
        self.assertRegex(out.splitlines()[0], r"^代码\s+类型\s+状态\s+名称$")
        self.assertIn("UNIT_KIND_DEPARTMENT", out)
        rc, out, _ = harness.run_creditctl(args, env=en)
        self.assertRegex(out.splitlines()[0], r"^CODE\s+KIND\s+STATUS\s+NAME$")


class T6JsonLinesRejects(ImportCase):

    def test_1_the_rejects_file_of_json_lines_names_reasons_codes_and_fields_and_imports(self):
        good = harness.penalty_json("imp-j1", EDGE, "璧山导入测试有限公司")
        bad_uscc = harness.penalty_json("imp-j2", bad_check(EDGE), "璧山导入测试有限公司")
        two = harness.penalty_json("imp-j3", EDGE, "璧山导入测试有限公司")
        two["penalty"]["authority"] = ""
        two["penalty"]["decisionDate"] = {"year": 2024, "month": 2, "day": 30}
        lines = [json.dumps(x, ensure_ascii=False) for x in (good, bad_uscc, two)]
        path = write_bytes("rejects-in.jsonl", ("\n".join(lines) + "\n").encode())
        rejects = os.path.join(S.tmp, "rejects-out.jsonl")
        out, _ = self.run_ctl(1, ["push", "--rejects", rejects, path])
        self.assertEqual(self.push_summary(out)[-1], 2, out)
        with open(rejects, encoding="utf-8") as f:
            back = [json.loads(l) for l in f.read().splitlines()]
        self.assertEqual([b["sourceRecordId"] for b in back], ["imp-j2", "imp-j3"], back)
        self.assertEqual(back[0]["_reason_code"], "BAD_USCC")
        self.assertEqual(back[0]["_field"], "subject.identifier")
        self.assertIn("is not a valid unified social credit code", back[0]["_reason"])
        self.assertIn("(INVALID_ARGUMENT)", back[0]["_reason"])
        fields = back[1]["_field"].split("; ")
        codes = back[1]["_reason_code"].split("; ")
        self.assertEqual(len(fields), len(codes))
        self.assertEqual(len(back[1]["_reason"].split("; ")), len(codes))
        got = dict(zip(fields, codes))
        self.assertEqual(got.get("penalty.authority"), "REQUIRED", got)
        self.assertEqual(got.get("penalty.decision_date"), "BAD_DATE", got)
        # The rest of each line is the row as it was.
        for b, orig in zip(back, (bad_uscc, two)):
            self.assertEqual({k: v for k, v in b.items() if not k.startswith("_")}, orig)

        # The clerk fixes the two rows in that file and imports it as it is, with the three
        # keys still there; a row still wrong gets them replaced, not added twice.
        back[0]["subject"]["identifier"] = EDGE
        back[1]["penalty"]["authority"] = "区市场监督管理局"
        fixed = write_bytes("rejects-fixed.jsonl",
                            "".join(json.dumps(b, ensure_ascii=False) + "\n"
                                    for b in back).encode())
        again = os.path.join(S.tmp, "rejects-again.jsonl")
        out, _ = self.run_ctl(1, ["push", "--rejects", again, fixed])
        self.assertEqual(self.push_summary(out)[0:2], (2, 1), out)
        with open(again, encoding="utf-8") as f:
            still = [json.loads(l) for l in f.read().splitlines()]
        self.assertEqual(len(still), 1, still)
        self.assertEqual((still[0]["_field"], still[0]["_reason_code"]),
                         ("penalty.decision_date", "BAD_DATE"), still)
        still[0]["penalty"]["decisionDate"] = {"year": 2024, "month": 2, "day": 29}
        last = write_bytes("rejects-last.jsonl",
                           (json.dumps(still[0], ensure_ascii=False) + "\n").encode())
        out, _ = self.run_ctl(0, ["push", last])
        self.assertEqual(self.push_summary(out)[0:2], (1, 1), out)
        self.assertEqual(set(self.stored(EDGE)) >= {"imp-j1", "imp-j2", "imp-j3"}, True)


if __name__ == "__main__":
    unittest.main()
