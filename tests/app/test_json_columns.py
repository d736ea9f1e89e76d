"""JSON columns are written and read with one codec on both databases: values come back
exactly (floats to the bit, key order kept), other keys as strings as the json module writes
them, and non-finite floats as null."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, Table, insert, select, text

from app.db import dispose_engines, get_engine, json_text
from tests.conftest import postgres_database

ITEMS = Table(
    "json_codec_items",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("document", JSON),
)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'codec.sqlite'}"
        dispose_engines()
    else:
        with postgres_database() as url:
            yield url


def _document() -> dict[str, object]:
    rng = np.random.default_rng(7)
    return {
        "zeta": [float(x) for x in rng.random(50)],  # not sorted: the order must stay
        "alpha": {"tiny": 5e-324, "third": 1 / 3, "big": 1.7976931348623157e308, "neg": -0.0},
        "count": 2**53 + 1,
        "flags": [True, False, None],
        "text": 'Ångström, \u00e9, \u2264, emoji \U0001f52c, quote " and \\ backslash',
    }


def test_a_document_comes_back_exactly(database_url: str) -> None:
    engine = get_engine(database_url)
    ITEMS.create(engine)
    document = _document()
    with engine.begin() as connection:
        connection.execute(insert(ITEMS).values(id=1, document=document))
    with engine.connect() as connection:
        back = connection.execute(select(ITEMS.c.document)).scalar_one()
        stored = connection.execute(text("SELECT document FROM json_codec_items")).scalar_one()
    assert back == document
    assert list(back) == list(document)
    assert list(back["alpha"]) == list(document["alpha"])
    assert math.copysign(1.0, back["alpha"]["neg"]) == -1.0
    # what the database holds is standard JSON the json module reads to the same values
    raw = stored if isinstance(stored, str) else json.dumps(stored)
    assert json.loads(raw) == document


def test_the_engine_writes_the_codecs_text(database_url: str) -> None:
    engine = get_engine(database_url)
    ITEMS.create(engine)
    with engine.begin() as connection:
        connection.execute(insert(ITEMS).values(id=1, document={"a": [1.5, 2], "b": None}))
    with engine.connect() as connection:
        raw = connection.execute(
            text("SELECT CAST(document AS TEXT) FROM json_codec_items")
        ).scalar_one()
    assert raw == json_text({"a": [1.5, 2], "b": None}) == '{"a":[1.5,2],"b":null}'


def test_other_keys_are_written_as_strings_and_non_finite_floats_as_null() -> None:
    value = {1: "one", "nan": math.nan, "inf": [math.inf, -math.inf], "ok": 0.1}
    assert json.loads(json_text(value)) == {
        "1": "one",
        "nan": None,
        "inf": [None, None],
        "ok": 0.1,
    }
    # the same text of keys the json module gives
    assert json.loads(json_text({1: 2})) == json.loads(json.dumps({1: 2}))
