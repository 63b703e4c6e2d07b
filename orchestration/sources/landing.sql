-- The landing schema, every table of it declared here and nowhere else: the interface between
-- ingestion (orchestration/sources/ingest.py), the quality checks (orchestration/quality/) and dbt
-- (dbt_project/models/staging). Created by orchestration.db.ensure_landing_schema.
--
-- Data tables: one per source kind, canonical Dutch column names of the
-- landing contract, typed; the BSN never lands: `person_id` is its keyed pseudonym
-- (first 32 hex characters of HMAC-SHA256(key, 9-digit BSN)).
-- Every loaded row carries its lineage: delivery_month (the folder's month, first day),
-- source (source kind, e.g. uitkeringen, trajecten_agros), source_file (path relative to raw/),
-- file_hash (sha256 of the file bytes) and row_number (1-based data row in the file; for xlsx the
-- sheet row minus the header).
-- A (source, delivery_month) holds exactly one delivered file version: a re-delivery replaces it.

CREATE SCHEMA IF NOT EXISTS landing;

CREATE TABLE IF NOT EXISTS landing.uitkeringen (
    delivery_month              DATE NOT NULL,
    statistiekjaar              INTEGER,
    statistiekmaand             INTEGER,
    registratienummer_uitkering VARCHAR NOT NULL,
    statistiekcode              VARCHAR,   -- code of codes/statistiekcode.csv or 'onbekend'
    person_id                   VARCHAR NOT NULL,
    geboortedatum               DATE,
    geslacht                    VARCHAR,   -- '1', '2', 'onbekend' or NULL (empty)
    leefvorm                    VARCHAR,   -- '1'..'4', 'onbekend' or NULL
    aanvangsdatum_uitkering     DATE NOT NULL,
    einddatum_uitkering         DATE,
    reden_beeindiging           VARCHAR,   -- two-digit code, 'onbekend' or NULL
    kenmerk_statushouder        VARCHAR,   -- 'J', 'N', 'onbekend' or NULL
    klantmanager_id             VARCHAR,
    source                      VARCHAR NOT NULL,
    source_file                 VARCHAR NOT NULL,
    file_hash                   VARCHAR NOT NULL,
    row_number                  INTEGER NOT NULL
);

-- BRP dates may have unknown parts ('00'); they load imputed as the mart contract says
-- (unknown day = 1st, unknown month = July; year unknown = NULL) with the raw text beside them.
CREATE TABLE IF NOT EXISTS landing.brp (
    delivery_month                   DATE NOT NULL,
    person_id                        VARCHAR NOT NULL,
    geboortedatum                    DATE,
    geboortedatum_raw                VARCHAR,
    geslacht                         VARCHAR,   -- 'M', 'V', 'O', 'onbekend' or NULL
    nationaliteit                    VARCHAR,   -- ISO 3166-1 alpha-3 or NULL
    verblijfstitel                   VARCHAR,   -- two-digit Tabel 56 code, 'onbekend' or NULL
    datum_ingang_verblijfstitel      DATE,
    datum_ingang_verblijfstitel_raw  VARCHAR,
    datum_vestiging_gemeente         DATE,
    datum_vestiging_gemeente_raw     VARCHAR,
    source                           VARCHAR NOT NULL,
    source_file                      VARCHAR NOT NULL,
    file_hash                        VARCHAR NOT NULL,
    row_number                       INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS landing.klantbeeld (
    delivery_month        DATE NOT NULL,
    person_id             VARCHAR NOT NULL,
    klantmanager_id       VARCHAR,
    assessment_datum      DATE,
    plan_van_aanpak_datum DATE,
    advies_route          VARCHAR,   -- werk, onderwijs, participatie, zorg, 'onbekend' or NULL
    afstand_arbeidsmarkt  VARCHAR,   -- overbrugbaar, onoverbrugbaar, 'onbekend' or NULL
    laatste_contact_datum DATE,
    source                VARCHAR NOT NULL,
    source_file           VARCHAR NOT NULL,
    file_hash             VARCHAR NOT NULL,
    row_number            INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS landing.formatie (
    delivery_month  DATE NOT NULL,
    maand           DATE NOT NULL,      -- first day of the month in column `maand`
    team            VARCHAR NOT NULL,
    klantmanager_id VARCHAR NOT NULL,
    fte             DOUBLE,
    source          VARCHAR NOT NULL,
    source_file     VARCHAR NOT NULL,
    file_hash       VARCHAR NOT NULL,
    row_number      INTEGER NOT NULL
);

-- All partners in one table; `partner` is the registry's partner code, `source` is
-- 'trajecten_<partner>'. Legacy headers and vocabularies are already mapped to canonical ones.
CREATE TABLE IF NOT EXISTS landing.trajecten (
    delivery_month DATE NOT NULL,
    partner        VARCHAR NOT NULL,
    person_id      VARCHAR NOT NULL,
    initiatief     VARCHAR NOT NULL,   -- code of codes/initiatieven.csv or 'onbekend'
    aanmelddatum   DATE NOT NULL,
    startdatum     DATE,
    einddatum      DATE,
    uitkomst       VARCHAR,            -- code of codes/uitkomst.csv, 'onbekend' or NULL (empty)
    uitkomstdatum  DATE,
    uren_per_week  DOUBLE,
    source         VARCHAR NOT NULL,
    source_file    VARCHAR NOT NULL,
    file_hash      VARCHAR NOT NULL,
    row_number     INTEGER NOT NULL
);

-- Rows that could not be placed. One row per quarantined source row: the first failing rule's
-- column and value (a BSN masked to its last 3 digits), and all failing rules in `message`.
CREATE TABLE IF NOT EXISTS landing.quarantine (
    delivery_month DATE NOT NULL,
    source         VARCHAR NOT NULL,
    source_file    VARCHAR NOT NULL,
    file_hash      VARCHAR NOT NULL,
    row_number     INTEGER NOT NULL,
    column_name    VARCHAR,
    value          VARCHAR,
    rule           VARCHAR NOT NULL,
    message        VARCHAR NOT NULL,
    record_key     VARCHAR            -- the source system's own id where the row has one
);

-- Findings on rows that did load: a code outside its list (value loaded as 'onbekend'),
-- an optional date that could not be parsed (loaded as NULL), ...
CREATE TABLE IF NOT EXISTS landing.row_issues (
    delivery_month DATE NOT NULL,
    source         VARCHAR NOT NULL,
    source_file    VARCHAR NOT NULL,
    row_number     INTEGER NOT NULL,
    column_name    VARCHAR NOT NULL,
    value          VARCHAR,
    rule           VARCHAR NOT NULL,   -- e.g. unknown_code, date_invalid
    message        VARCHAR NOT NULL,
    person_id      VARCHAR,
    record_key     VARCHAR
);

-- One row per file seen per source and month: what happened to it.
CREATE TABLE IF NOT EXISTS landing.deliveries (
    delivery_month   DATE NOT NULL,
    source           VARCHAR NOT NULL,
    source_file      VARCHAR NOT NULL,
    file_hash        VARCHAR,
    file_size        BIGINT,
    status           VARCHAR NOT NULL,  -- loaded, unchanged, failed, superseded
    rows_in          INTEGER,
    rows_loaded      INTEGER,
    rows_quarantined INTEGER,
    message          VARCHAR,
    loaded_at        TIMESTAMP NOT NULL
);

-- What raw/<month>/ held for each registry source when a run last looked at the month: one row per
-- source and month, replaced every time a run ingests the month (landing.deliveries is the history
-- of attempts; this is the present). Together with the version in force (the last `loaded` row of
-- landing.deliveries) it gives each delivery's state: orchestration/quality/month_state.py.
CREATE TABLE IF NOT EXISTS landing.raw_state (
    delivery_month DATE NOT NULL,
    source         VARCHAR NOT NULL,
    source_file    VARCHAR,            -- the file of the source that counts (the newest), NULL: none
    file_hash      VARCHAR,
    files          INTEGER NOT NULL,   -- files of this source in the folder (>1: the others superseded)
    status         VARCHAR NOT NULL,   -- loaded, unchanged, failed (that file), absent (no file)
    message        VARCHAR,
    observed_at    TIMESTAMP NOT NULL
);

-- Stewards' waivers (loaded from the waivers file at every run, see orchestration/quality/):
-- an accepted, known issue stays visible as `waived` until valid_until, then fails again.
CREATE TABLE IF NOT EXISTS landing.dq_waivers (
    rule_id     VARCHAR NOT NULL,
    record_key  VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    waived_by   VARCHAR NOT NULL,
    valid_until DATE NOT NULL
);

-- The result of every expectation of expectations/ per source and delivery month, one row per
-- expectation: the row rules (expectations/<kind>.json) recorded by ingestion from the compiled SQL
-- in the transaction that lands the delivery; the file rules (expectations/file_rules/<kind>.json)
-- recorded by the asset landing/expectation_results from GX. Read by the row_rules and delivery
-- checks, dbt's dq models (dq_issues lists the failed ones), the publication gate (severity error)
-- and Data Docs. No value in it is a BSN: example values of 8 or 9 digits are masked (******123).
CREATE TABLE IF NOT EXISTS landing.expectation_results (
    delivery_month    DATE NOT NULL,
    source            VARCHAR NOT NULL,
    suite_name        VARCHAR NOT NULL,
    expectation_type  VARCHAR NOT NULL,
    column_name       VARCHAR,
    rule              VARCHAR NOT NULL,  -- the expectation's meta.rule: a stable id
    severity          VARCHAR NOT NULL,  -- error or warn
    success           BOOLEAN NOT NULL,
    element_count     BIGINT,
    unexpected_count  BIGINT,
    detail            VARCHAR,           -- in plain words, with up to 5 example values
    validated_at      TIMESTAMP NOT NULL,
    expectation_index INTEGER,           -- position in the suite
    kwargs            VARCHAR,           -- JSON: the expectation's arguments as validated (parameters filled in)
    result            VARCHAR,           -- JSON: the result as GX reports it (counts, examples, observed value)
    file_hash         VARCHAR,           -- the delivery file version validated (sha256)
    inputs_hash       VARCHAR            -- sha256 of the suite as resolved and the file version: a
                                         -- delivery is validated again only when this changes
);

-- The outcome of every file-level rule (orchestration/quality/file_rules.py) and mart invariant
-- (recorded after the dbt build) per source and month; the publication gate
-- (orchestration/quality/blocking.py) reads it.
CREATE TABLE IF NOT EXISTS landing.check_results (
    delivery_month DATE NOT NULL,      -- the month the check is about
    source         VARCHAR NOT NULL,   -- source (uitkeringen, trajecten_agros, ...) or 'marts'
    rule           VARCHAR NOT NULL,   -- stable id, e.g. row_count_vs_previous_month
    severity       VARCHAR NOT NULL,   -- error or warn
    passed         BOOLEAN NOT NULL,   -- before waivers (waivers apply when read)
    record_key     VARCHAR NOT NULL,   -- what a waiver names, e.g. 'uitkeringen 2018-05'
    issue_key      VARCHAR,            -- the same finding's record_key in marts.dq_issues, if it has one
    origin         VARCHAR NOT NULL,   -- file_rule, mart_invariant, ...
    description    VARCHAR,
    metadata       VARCHAR,            -- JSON
    checked_at     TIMESTAMP NOT NULL
);

-- What `statmon retention` removed (orchestration/retention.py): one row per folder and per table.
CREATE TABLE IF NOT EXISTS landing.retention_log (
    retention_id  VARCHAR NOT NULL,    -- one id per `statmon retention` call
    removed_at    TIMESTAMP NOT NULL,
    keep_years    INTEGER NOT NULL,
    cutoff_month  DATE NOT NULL,       -- everything before this month was removed
    object_kind   VARCHAR NOT NULL,    -- folder | table
    object_name   VARCHAR NOT NULL,    -- raw/<YYYY-MM>/ or <schema>.<table>
    files_removed INTEGER,             -- folder: files in it
    bytes_removed BIGINT,              -- folder: their size
    rows_removed  BIGINT               -- table: rows deleted
);

-- ---------------------------------------------------------------------------------------------
-- Control tables of the dbt build (written by orchestration/build_record.py before and after
-- `dbt build`; not data).

-- The months of the current run: dbt source `landing.run_months` (macro run_months); the
-- incremental models rebuild from the earliest of them on; empty = every month.
CREATE TABLE IF NOT EXISTS landing.run_months (
    month VARCHAR NOT NULL   -- YYYY-MM
);

-- Every decision about a build of the monthly graph: started, built (completed) or skipped (no
-- new data since the last publication). A `started` without `built` makes the next build
-- rebuild every month.
CREATE TABLE IF NOT EXISTS landing.dbt_builds (
    run_id      VARCHAR NOT NULL,    -- the Dagster run
    fingerprint VARCHAR NOT NULL,    -- sha256 of everything the build reads
    status      VARCHAR NOT NULL,    -- started, built, skipped
    recorded_at TIMESTAMP NOT NULL   -- UTC
);
-- ---------------------------------------------------------------------------------------------

-- Warehouses built before the row rules were recorded at ingestion: the columns added since, and
-- what is gone (schema `parsed`, a second copy of every delivered row for GX; GX's own JSON of
-- each validation, now rebuilt from landing.expectation_results). Dropping `parsed` also keeps
-- retention true: nothing else would ever delete its rows.
ALTER TABLE landing.expectation_results ADD COLUMN IF NOT EXISTS expectation_index INTEGER;
ALTER TABLE landing.expectation_results ADD COLUMN IF NOT EXISTS kwargs VARCHAR;
ALTER TABLE landing.expectation_results ADD COLUMN IF NOT EXISTS result VARCHAR;
ALTER TABLE landing.expectation_results ADD COLUMN IF NOT EXISTS file_hash VARCHAR;
ALTER TABLE landing.expectation_results ADD COLUMN IF NOT EXISTS inputs_hash VARCHAR;
DROP SCHEMA IF EXISTS parsed CASCADE;
DROP TABLE IF EXISTS landing.gx_validation_results;
