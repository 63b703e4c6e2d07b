"""The source registry (registry.yaml) as typed objects: which files a month folder may hold and
how each is read. Validation is strict so that a typo in the registry fails at load time with the
entry's name, not halfway through a backfill."""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from orchestration.config import REGISTRY_FILE

SOURCE_KINDS = ("uitkeringen", "brp", "klantbeeld", "formatie", "trajecten")
COLUMN_TYPES = {"text", "code", "integer", "number", "date", "brp_date", "month", "bsn"}
DATE_FORMATS = {
    # registry label -> DuckDB strptime format (None: parsed by special rules)
    "YYYY-MM-DD": "%Y-%m-%d",
    "DD-MM-YYYY": "%d-%m-%Y",
    "YYYYMMDD": None,
    "excel": None,
}
ENCODINGS = {"utf-8": "utf-8", "windows-1252": "cp1252"}
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class RegistryError(ValueError):
    """The registry file itself is wrong (a configuration error, not a delivery problem)."""


def normalise_header(name: str) -> str:
    """How headers are compared: case-insensitive, inner whitespace collapsed, unicode spaces
    and a BOM trimmed."""
    return " ".join(name.replace("\ufeff", " ").replace("\u00a0", " ").split()).casefold()


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = True


@dataclass(frozen=True)
class Kind:
    name: str
    columns: tuple[Column, ...]
    record_key: str | None = None

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class Layout:
    name: str
    # normalised delivered header -> canonical column
    headers: dict[str, str]
    constants: dict[str, str] = field(default_factory=dict)
    # canonical column -> {casefolded delivered value: canonical value}
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    source: str
    kind: str
    partner: str | None
    pattern: str
    format: str
    date_format: str
    sheet: str | None = None
    delimiter: str = ";"
    encoding: str = "utf-8"
    bom: bool = True
    decimal_comma: bool = False
    layouts: tuple[Layout, ...] = ()
    # The months a delivery is expected (YYYY-MM, inclusive; None = open): a partner that started
    # later, or stopped. Outside them a missing file is no finding (orchestration/quality/month_state.py).
    active_from: str | None = None
    active_until: str | None = None

    def expected_in(self, month: str) -> bool:
        """Is a delivery of this source expected for `month` (YYYY-MM)?"""
        return (self.active_from or month) <= month <= (self.active_until or month)

    @property
    def python_encoding(self) -> str:
        return ENCODINGS[self.encoding]

    def matches(self, file_name: str) -> bool:
        return fnmatch.fnmatch(file_name.casefold(), self.pattern.casefold())

    def describe_dialect(self) -> str:
        if self.format == "xlsx":
            return f"xlsx, sheet '{self.sheet}', dates {self.date_format}"
        return (f"csv, delimiter '{self.delimiter}', {self.encoding}"
                f"{' (BOM allowed)' if self.bom else ''}, dates {self.date_format}")


@dataclass(frozen=True)
class Registry:
    kinds: dict[str, Kind]
    sources: tuple[Source, ...]

    def sources_of(self, kind: str) -> list[Source]:
        if kind not in self.kinds:
            raise ValueError(f"unknown source kind {kind!r}; expected one of {', '.join(self.kinds)}")
        return [s for s in self.sources if s.kind == kind]

    def source(self, name: str) -> Source:
        for s in self.sources:
            if s.source == name:
                return s
        raise KeyError(name)


def _layouts(entry: dict, kind: Kind, where: str) -> tuple[Layout, ...]:
    canonical_headers = {normalise_header(c): c for c in kind.column_names}
    raw_layouts = entry.get("layouts") or [{"name": "canonical"}]
    layouts = []
    for raw in raw_layouts:
        name = raw.get("name") or "canonical"
        headers = raw.get("headers")
        mapped = (
            {normalise_header(str(k)): str(v) for k, v in headers.items()} if headers else canonical_headers
        )
        constants = {str(k): str(v) for k, v in (raw.get("constants") or {}).items()}
        value_maps = {
            str(col): {str(k).strip().casefold(): str(v) for k, v in mapping.items()}
            for col, mapping in (raw.get("value_maps") or {}).items()
        }
        for col in [*mapped.values(), *constants, *value_maps]:
            if col not in kind.column_names:
                raise RegistryError(f"{where}: layout {name!r} names column {col!r}, not a {kind.name} column")
        layouts.append(Layout(name=name, headers=mapped, constants=constants, value_maps=value_maps))
    return tuple(layouts)


def parse_registry(data: dict) -> Registry:
    kinds: dict[str, Kind] = {}
    for kind_name, spec in (data.get("kinds") or {}).items():
        if kind_name not in SOURCE_KINDS:
            raise RegistryError(f"kind {kind_name!r} is not one of {SOURCE_KINDS}")
        columns = []
        for col_name, col in spec["columns"].items():
            col = col or {}
            if col.get("type", "text") not in COLUMN_TYPES:
                raise RegistryError(f"kind {kind_name}: column {col_name} has unknown type {col.get('type')!r}")
            columns.append(Column(col_name, col.get("type", "text"), bool(col.get("required", True))))
        kinds[kind_name] = Kind(kind_name, tuple(columns), spec.get("record_key"))
    missing_kinds = set(SOURCE_KINDS) - set(kinds)
    if missing_kinds:
        raise RegistryError(f"registry lacks kinds {sorted(missing_kinds)}")

    sources = []
    for i, entry in enumerate(data.get("sources") or []):
        kind_name = entry.get("kind")
        where = f"registry source #{i + 1} ({entry.get('partner') or kind_name})"
        if kind_name not in kinds:
            raise RegistryError(f"{where}: unknown kind {kind_name!r}")
        partner = entry.get("partner")
        if kind_name == "trajecten" and not partner:
            raise RegistryError(f"{where}: a trajecten source needs a partner code")
        name = entry.get("source") or (f"trajecten_{partner}" if kind_name == "trajecten" else kind_name)
        fmt = entry.get("format")
        if fmt not in ("csv", "xlsx"):
            raise RegistryError(f"{where}: format must be csv or xlsx, not {fmt!r}")
        if fmt == "xlsx" and not entry.get("sheet"):
            raise RegistryError(f"{where}: an xlsx source needs `sheet`")
        date_format = entry.get("date_format")
        if date_format not in DATE_FORMATS:
            raise RegistryError(f"{where}: date_format must be one of {sorted(DATE_FORMATS)}, not {date_format!r}")
        encoding = entry.get("encoding", "utf-8")
        if encoding not in ENCODINGS:
            raise RegistryError(f"{where}: encoding must be one of {sorted(ENCODINGS)}, not {encoding!r}")
        if not entry.get("pattern"):
            raise RegistryError(f"{where}: needs a file `pattern`")
        active = {}
        for bound in ("active_from", "active_until"):
            value = entry.get(bound)
            if value is not None and not MONTH.match(str(value)):
                raise RegistryError(f"{where}: {bound} must be a month YYYY-MM (in quotes), not {value!r}")
            active[bound] = None if value is None else str(value)
        if active["active_from"] and active["active_until"] and active["active_from"] > active["active_until"]:
            raise RegistryError(f"{where}: active_from {active['active_from']} is after active_until {active['active_until']}")
        sources.append(Source(
            source=name,
            kind=kind_name,
            partner=partner,
            pattern=entry["pattern"],
            format=fmt,
            sheet=entry.get("sheet"),
            delimiter=entry.get("delimiter", ";"),
            encoding=encoding,
            bom=bool(entry.get("bom", True)),
            date_format=date_format,
            decimal_comma=bool(entry.get("decimal_comma", False)),
            layouts=_layouts(entry, kinds[kind_name], where),
            **active,
        ))
    names = [s.source for s in sources]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise RegistryError(f"registry has duplicate sources: {sorted(duplicates)}")
    return Registry(kinds=kinds, sources=tuple(sources))


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int) -> Registry:
    with open(path, encoding="utf-8") as fh:
        return parse_registry(yaml.safe_load(fh))


def load_registry(path: Path | None = None) -> Registry:
    """The registry at `path` (default orchestration/sources/registry.yaml), cached until the file
    changes."""
    path = Path(path or REGISTRY_FILE)
    return _load_cached(str(path.resolve()), path.stat().st_mtime_ns)
