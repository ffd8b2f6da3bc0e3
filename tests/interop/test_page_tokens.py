"""test_page_tokens.py: page tokens are bound to their query, through python3-grpcio.

A token continues exactly the listing that gave it: the same method (so the tier), the same
caller, the same subject and filters. Anything else — another subject, another category,
the other tier, another unit, a token altered or made up — is INVALID_ARGUMENT naming
page_token, never an empty page that looks like the end of the list. page_size may change
between pages. The expiry is tested in tests/unit/test_pagetoken.c with a clock of its own.

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> /usr/bin/python3 -m unittest -v test_page_tokens
"""

import unittest

import grpc

import harness
from harness import CALL_TIMEOUT, legal_ref, legal_subject, penalty_input

from credit.v1 import record_pb2 as R
from credit.v1 import unit_pb2 as K
from credit.v1 import voluntary_pb2 as V

SC = grpc.StatusCode

setUpModule = harness.setup_module
tearDownModule = harness.teardown_module

_fresh = harness.Fresh(uscc_base=710000)
fresh_uscc = _fresh.uscc


def licence_input(src, subject):
    """A licence as the market bureau pushes it (its fields as test_public_records has them)."""
    day = harness.recent_day(40)
    lic = R.Licence(decision_document_name="食品经营许可决定书",
                    decision_document_number="璧许〔%s〕" % src, licence_category="普通",
                    certificate_name="食品经营许可证", licence_number="JY%s" % src,
                    content="食品销售", decision_date=harness.pdate(day),
                    valid_from=harness.pdate(day), authority="区市场监督管理局",
                    authority_uscc=harness.MARKET_USCC, current_status="有效",
                    source_unit_uscc=harness.MARKET_USCC)
    return R.PublicRecordInput(source_record_id=src, category=R.CATEGORY_LICENSING,
                               subject=subject, occurred_at=harness.tstamp(day), licence=lic)


class PageTokenTests(harness.SharedNodeCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a, cls.b = fresh_uscc(), fresh_uscc()
        with harness.Stubs(cls.node.port, "market") as c:
            for u in (cls.a, cls.b):
                recs = [penalty_input("pt-%s-%d" % (u, i), legal_subject(u)) for i in range(5)]
                recs += [licence_input("pt-lic-%s-%d" % (u, i), legal_subject(u))
                         for i in range(3)]
                resp = c.push(*recs)
                assert resp.rejected == 0, resp

    def calls(self, who):
        return harness.Stubs(self.node.port, who)

    def page(self, stub, uscc, token="", size=2, categories=(), timeout=CALL_TIMEOUT):
        return stub.ListRecords(R.ListRecordsRequest(subject=legal_ref(uscc), page_size=size,
                                                     page_token=token,
                                                     categories=list(categories)),
                                timeout=timeout)

    def test_paging_follows_tokens_to_the_end_whatever_the_page_size(self):
        with self.calls("market") as c:
            seen, token, sizes = [], "", [1, 3, 2, 5]
            for i in range(20):
                resp = self.page(c.gov, self.a, token, size=sizes[i % len(sizes)])
                seen += [r.meta.record_id for r in resp.records]
                token = resp.next_page_token
                if not token:
                    break
            self.assertEqual(len(seen), 8)
            self.assertEqual(len(set(seen)), 8)

    def test_a_token_of_another_subject_filter_tier_or_caller_is_invalid(self):
        with self.calls("market") as c, self.calls("tax") as t:
            token = self.page(c.gov, self.a).next_page_token
            self.assertTrue(token)
            self.assertRpcFails(SC.INVALID_ARGUMENT, self.page, c.gov, self.b, token,
                                contains="page_token")
            self.assertRpcFails(SC.INVALID_ARGUMENT, self.page, c.open, self.a, token,
                                contains="page_token")
            self.assertRpcFails(SC.INVALID_ARGUMENT, self.page, t.gov, self.a, token,
                                contains="page_token")
            pen = self.page(c.gov, self.a, categories=[R.CATEGORY_PENALTY]).next_page_token
            self.assertRpcFails(SC.INVALID_ARGUMENT, self.page, c.gov, self.a, pen,
                                categories=[R.CATEGORY_LICENSING], contains="page_token")
            # The token still works for its own query.
            self.assertTrue(self.page(c.gov, self.a, pen, categories=[R.CATEGORY_PENALTY])
                            .records)

    def test_a_made_up_or_altered_token_is_invalid(self):
        with self.calls("market") as c:
            resp = self.page(c.gov, self.a)
            token = resp.next_page_token
            for bad in ("0" * 32, resp.records[-1].meta.record_id, "x" * 300,
                        token[:-1] + ("A" if token[-1] != "A" else "B"), token[:20]):
                self.assertRpcFails(SC.INVALID_ARGUMENT, self.page, c.gov, self.a, bad,
                                    contains="page_token")

    def test_a_long_history_comes_in_pages(self):
        uscc = fresh_uscc()
        src = "pt-hist-%s" % uscc
        with self.calls("market") as c:
            rid = c.push(penalty_input(src, legal_subject(uscc), fine=1000)).results[0].record_id
            other = c.push(penalty_input(src + "-b", legal_subject(uscc))).results[0].record_id
            for i in range(12):
                res = c.push(penalty_input(src, legal_subject(uscc), fine=2000 + i)).results[0]
                self.assertEqual(res.version, i + 2, res)
            whole = c.gov.GetRecord(R.GetRecordRequest(record_id=rid), timeout=CALL_TIMEOUT)
            self.assertEqual(whole.versions, 13)
            self.assertEqual([h.meta.version for h in whole.history], list(range(1, 13)))
            self.assertEqual(whole.next_history_page_token, "")
            got, token, pages = [], "", 0
            while True:
                resp = c.gov.GetRecord(R.GetRecordRequest(record_id=rid, history_page_size=5,
                                                          history_page_token=token),
                                       timeout=CALL_TIMEOUT)
                self.assertEqual(resp.record.meta.version, 13)
                got += [h.meta.version for h in resp.history]
                pages += 1
                token = resp.next_history_page_token
                if not token:
                    break
                first_token = first_token if pages > 1 else token
            self.assertEqual(got, list(range(1, 13)))
            self.assertEqual(pages, 3)
            self.assertRpcFails(SC.INVALID_ARGUMENT, c.gov.GetRecord,
                                R.GetRecordRequest(record_id=other, history_page_size=5,
                                                   history_page_token=first_token),
                                contains="history_page_token")
            self.assertRpcFails(SC.INVALID_ARGUMENT, c.gov.GetRecord,
                                R.GetRecordRequest(record_id=rid, history_page_size=501),
                                contains="history_page_size")
            # The open tier shows the record alone, and says how many versions it has.
            opened = c.open.GetRecord(R.GetRecordRequest(record_id=rid), timeout=CALL_TIMEOUT)
            self.assertEqual((len(opened.history), opened.versions), (0, 13))

    def test_a_page_of_large_records_ends_early_at_2_mib(self):
        uscc = fresh_uscc()
        big = "罚" * 1300  # 3900 bytes of UTF-8
        recs = []
        for i in range(200):
            p = penalty_input("pt-big-%s-%d" % (uscc, i), legal_subject(uscc), facts=big)
            p.penalty.content = big
            p.penalty.legal_basis = big
            recs.append(p)
        with self.calls("market") as c:
            for k in range(0, 200, 100):
                self.assertEqual(c.push(*recs[k:k + 100]).rejected, 0)
            first = self.page(c.gov, uscc, size=500)
            size = first.ByteSize()
            self.assertLess(len(first.records), 200)
            self.assertLessEqual(size, 2 * 1024 * 1024 + 64 * 1024)
            self.assertTrue(first.next_page_token)
            rest = self.page(c.gov, uscc, first.next_page_token, size=500)
            self.assertEqual(len(first.records) + len(rest.records), 200)
            self.assertEqual(rest.next_page_token, "")
        harness.observe("200 records of ~12 KB: a page of %d (%d bytes), then %d"
                        % (len(first.records), size, len(rest.records)))

    def test_list_units_and_list_pending_tokens_are_bound_too(self):
        with self.calls("office") as o, self.calls("market") as m:
            units = harness.registry(o.ch)
            first = units.ListUnits(K.ListUnitsRequest(page_size=2), timeout=CALL_TIMEOUT)
            self.assertTrue(first.next_page_token)
            nxt = units.ListUnits(K.ListUnitsRequest(page_size=2,
                                                     page_token=first.next_page_token),
                                  timeout=CALL_TIMEOUT)
            self.assertTrue(nxt.units)
            self.assertRpcFails(SC.INVALID_ARGUMENT, units.ListUnits,
                                K.ListUnitsRequest(page_size=2, kind=K.UNIT_KIND_DEPARTMENT,
                                                   page_token=first.next_page_token),
                                contains="page_token")
            self.assertRpcFails(SC.INVALID_ARGUMENT, harness.registry(m.ch).ListUnits,
                                K.ListUnitsRequest(page_size=2,
                                                   page_token=first.next_page_token),
                                contains="page_token")
            self.assertRpcFails(SC.INVALID_ARGUMENT, units.ListUnits,
                                K.ListUnitsRequest(page_token="market"), contains="page_token")
            from credit.v1 import voluntary_pb2_grpc as V_grpc
            vol = V_grpc.VoluntaryDeclarationStub(o.ch)
            self.assertRpcFails(SC.INVALID_ARGUMENT, vol.ListPending,
                                V.ListPendingRequest(page_token="0" * 32),
                                contains="page_token")


if __name__ == "__main__":
    unittest.main()
