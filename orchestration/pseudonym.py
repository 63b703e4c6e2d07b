"""The keyed pseudonym that replaces the BSN at ingestion.

person_id = the first 32 hex characters of HMAC-SHA256(key, 9-digit BSN). The key comes from
STATMON_PSEUDONYM_KEY (mode `env`). Without it the pipeline runs only on a raw directory that
`statmon demo-data` marked as demo (`raw/.statmon-demo`): then a random key is created once in
`<warehouse dir>/.demo_pseudonym_key` (mode 0600, outside git) and reused (mode `demo`).
Changing the key changes every pseudonym: a full rebuild from raw/, by design.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from orchestration.config import DEMO_MARKER, PSEUDONYM_KEY_ENV

DEMO_KEY_FILE = ".demo_pseudonym_key"


class PseudonymKeyMissing(RuntimeError):
    """No key in the environment and the raw directory is not demo data."""


def resolve_key(raw_dir: Path, warehouse: Path) -> tuple[bytes, str]:
    """(key, mode) with mode `env` or `demo`; raises PseudonymKeyMissing otherwise."""
    value = os.environ.get(PSEUDONYM_KEY_ENV, "")
    if value.strip():
        return value.encode("utf-8"), "env"
    raw_dir = Path(raw_dir)
    if (raw_dir / DEMO_MARKER).exists():
        key_file = Path(warehouse).parent / DEMO_KEY_FILE
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL: two processes never both write a key; 0600: only this user reads it
            try:
                fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_hex(32))
        return key_file.read_text().strip().encode("utf-8"), "demo"
    raise PseudonymKeyMissing(
        f"{PSEUDONYM_KEY_ENV} is not set and {raw_dir} is not demo data (no {DEMO_MARKER} marker). "
        f"Set {PSEUDONYM_KEY_ENV} to the municipality's pseudonymisation secret (it is never stored "
        f"in the repository); without it the pipeline only runs on data made by `statmon demo-data`."
    )


def pseudonymise(bsn9: str, key: bytes) -> str:
    """person_id of a 9-digit BSN."""
    return hmac.new(key, bsn9.encode("ascii"), hashlib.sha256).hexdigest()[:32]


def hmac_sql_params(key: bytes) -> dict[str, bytes]:
    """The two padded keys of RFC 2104 for `HMAC_SQL`: bound as query parameters, so the key never
    appears in SQL text (query logs, error messages)."""
    block = hashlib.sha256(key).digest() if len(key) > 64 else key
    block = block.ljust(64, b"\0")
    return {"hmac_ipad": bytes(b ^ 0x36 for b in block), "hmac_opad": bytes(b ^ 0x5C for b in block)}


def hmac_sql(column: str) -> str:
    """DuckDB SQL for `pseudonymise(column, key)` with the parameters of `hmac_sql_params(key)`:
    HMAC-SHA256 by RFC 2104 on DuckDB's sha256, in the database, so ingestion needs no Python
    loop over the BSNs (and no pandas/pyarrow import). Equal to `pseudonymise` by test."""
    return f"left(sha256($hmac_opad || unhex(sha256($hmac_ipad || CAST({column} AS BLOB)))), 32)"


def pseudonymise_many(bsns, key: bytes) -> list[str]:
    """person_id of each BSN, in order (the bulk path: one HMAC per distinct BSN of a file)."""
    template = hmac.new(key, digestmod=hashlib.sha256)
    out = []
    for bsn in bsns:
        h = template.copy()
        h.update(bsn.encode("ascii"))
        out.append(h.hexdigest()[:32])
    return out
