import pytest

from briefgen.factbase.dates import DateError, parse_date


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("2017-01-16", "16 January 2017"),
        ("2014-08", "August 2014"),
        ("early 2014-08", "early August 2014"),
        ("736", "736"),
        ("1630s", "the 1630s"),
        ("8th century", "the 8th century"),
        ("early 17th century", "the early 17th century"),
        ("21st century", "the 21st century"),
        ("16th century/17th century", "the 16th and 17th centuries"),
        ("2017-02-28/2017-03-05", "28 February to 5 March 2017"),
        ("late 1970s/1992", "the late 1970s to 1992"),
    ],
)
def test_dates_keep_their_precision(raw, shown):
    assert parse_date(raw).text() == shown


@pytest.mark.parametrize(
    "raw", ["2016-13-45", "2021-02-29", "2014-00", "8st century", "soon", "2017/2016", "1/2/3", ""]
)
def test_bad_dates_are_refused(raw):
    with pytest.raises(DateError):
        parse_date(raw)


def test_dates_sort_by_start():
    order = ["8th century", "early 17th century", "1630s", "late 1970s/1992", "2014", "early 2014-08", "2014-09-01"]
    assert sorted(order, key=lambda d: parse_date(d).sort_key) == order
