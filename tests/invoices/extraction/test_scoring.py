import json

from invoices.extraction.scoring import ScoreReport, document_score, folder_predict, folder_score, main


def _score(expected: dict, predicted: dict) -> ScoreReport:
    report = ScoreReport()
    document_score(report, "doc", {"schema": "ap-invoice-extraction/v1", **expected}, predicted)
    return report


def test_null_expected_is_not_scored():
    report = _score(
        {"vendor_name": None, "total": "10.00", "line_items": None}, {"vendor_name": "X", "total": 10}
    )
    assert list(report.fields) == ["total"]
    assert report.overall == 1.0


def test_vendor_name_ignores_case_spacing_punctuation_and_legal_form():
    assert _score({"vendor_name": "Au bon moulin"}, {"vendor_name": "AU  BON MOULIN SARL"}).overall == 1.0
    assert _score({"vendor_name": "Acme Widgets, Inc."}, {"vendor_name": "Acme Widgets Inc"}).overall == 1.0
    assert _score({"vendor_name": "Acme Widgets"}, {"vendor_name": "Acme Gadgets"}).overall == 0.0


def test_amounts_and_dates_are_normalized():
    expected = {"total": "1234.56", "tax": "0.00", "invoice_date": "2022-01-31"}
    predicted = {"total": "1.234,56 €", "tax": 0, "invoice_date": "31.01.2022"}
    assert _score(expected, predicted).overall == 1.0
    assert _score({"total": "1234.56"}, {"total": "1234.55"}).overall == 0.0


def test_missing_prediction_is_a_miss():
    report = _score({"invoice_number": "A1"}, {})
    assert report.misses == [("doc", "invoice_number", "A1", None)]


def test_identifiers_ignore_case_and_spaces():
    assert _score({"invoice_number": "FA-2017-0009"}, {"invoice_number": "fa-2017-0009 "}).overall == 1.0
    assert _score({"invoice_number": "FA-2017-0009"}, {"invoice_number": "2017-0009"}).overall == 0.0


def test_line_items_compared_in_order_field_by_field():
    expected = {
        "line_items": [
            {"description": "Design (hours)", "quantity": "1", "unit_price": "160.00", "amount": "160.00"},
            {"description": "Ballons", "quantity": "400", "unit_price": None, "amount": "316.00"},
        ]
    }
    predicted = {
        "line_items": [
            {
                "description": "Design (hours): Of a sample invoice",
                "quantity": "1.00",
                "unit_price": 160,
                "amount": "160",
            },
            {"description": "Ballonsets", "quantity": "400", "unit_price": "0.79", "amount": "316.00"},
        ]
    }
    report = _score(expected, predicted)
    assert {name: (tally.scored, tally.hits) for name, tally in report.fields.items()} == {
        "line_items.count": (1, 1),
        "line_items.description": (2, 1),
        "line_items.quantity": (2, 2),
        "line_items.unit_price": (1, 1),
        "line_items.amount": (2, 2),
    }


def test_extra_or_missing_lines_fail_the_count():
    expected = {"line_items": [{"description": "A", "quantity": "1", "unit_price": "1.00", "amount": "1.00"}]}
    assert _score(expected, {"line_items": []}).overall == 0.0
    report = _score(expected, {"line_items": expected["line_items"] * 2})
    assert report.fields["line_items.count"].hits == 0


def test_folder_score_reads_saved_predictions(tmp_path, fixture_folder):
    (tmp_path / "expected").mkdir()
    (tmp_path / "predicted").mkdir()
    expected = {
        "schema": "ap-invoice-extraction/v1",
        "invoice_number": "A1",
        "total": "5.00",
        "line_items": None,
    }
    (tmp_path / "expected" / "one.expected.json").write_text(json.dumps(expected))
    (tmp_path / "predicted" / "one.pred.json").write_text(
        json.dumps({"invoice_number": "A1", "total": "4.00"})
    )
    report = folder_score(tmp_path / "expected", folder_predict(tmp_path / "predicted"))
    assert (report.documents, report.overall) == (1, 0.5)


def test_main_prints_the_per_field_table(capsys, synthetic_folder):
    assert main([str(synthetic_folder), "--layout-only"]) == 0
    output = capsys.readouterr().out
    assert output.splitlines()[0] == "12 documents, layout only"
    assert "line_items.amount" in output
    assert output.splitlines()[-1].startswith("overall")
