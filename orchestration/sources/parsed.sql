-- The parsed batch: every well-formed row of the deliveries ingested, as the row rules saw it,
-- for the data-quality checks to validate with Great Expectations itself (expectations/<kind>.json
-- with orchestration.sources.rules.suite_parameters). Written by orchestration/ingest.py; the rows
-- of a (source, delivery_month) are replaced on each ingest, like landing.
--
-- Columns: the canonical columns of the kind as TEXT, after header mapping (legacy layouts),
-- trimming (spaces, non-breaking and other unicode spaces), value maps (legacy vocabularies) and
-- constants (legacy initiatief), BEFORE the rules' onbekend/NULL replacements:
--   dates     YYYY-MM-DD when the value parses in the source's dialect (DD-MM-YYYY, Excel serial,
--             BRP YYYYMMDD with unknown parts imputed: day 00 -> 01, month 00 -> 07, year 0000 -> NULL),
--             otherwise the delivered text (so a rule sees it fail); sources whose dialect is
--             YYYY-MM-DD keep the delivered text; BRP dates keep `<col>_raw`
--   numbers   decimal comma turned into a point
--   integers  leading zeros removed (statistiekmaand '03' -> '3')
--   maand     YYYY-MM
-- The BSN is NOT here: `person_id` is its pseudonym (NULL when the BSN is invalid) and `bsn_check`
-- says why (ok | missing | not_digits | wrong_length | elfproef). Rows that could not be split
-- into fields (rule malformed_row) are only in landing.quarantine.
-- Lineage as in landing: delivery_month, source, source_file, file_hash, row_number.

CREATE SCHEMA IF NOT EXISTS parsed;

CREATE TABLE IF NOT EXISTS parsed.uitkeringen (
    delivery_month              DATE NOT NULL,
    source                      VARCHAR NOT NULL,
    source_file                 VARCHAR NOT NULL,
    file_hash                   VARCHAR NOT NULL,
    row_number                  INTEGER NOT NULL,
    person_id                   VARCHAR,
    bsn_check                   VARCHAR NOT NULL,
    statistiekjaar              VARCHAR,
    statistiekmaand             VARCHAR,
    registratienummer_uitkering VARCHAR,
    statistiekcode              VARCHAR,
    geboortedatum               VARCHAR,
    geslacht                    VARCHAR,
    leefvorm                    VARCHAR,
    aanvangsdatum_uitkering     VARCHAR,
    einddatum_uitkering         VARCHAR,
    reden_beeindiging           VARCHAR,
    kenmerk_statushouder        VARCHAR,
    klantmanager_id             VARCHAR
);

CREATE TABLE IF NOT EXISTS parsed.brp (
    delivery_month                  DATE NOT NULL,
    source                          VARCHAR NOT NULL,
    source_file                     VARCHAR NOT NULL,
    file_hash                       VARCHAR NOT NULL,
    row_number                      INTEGER NOT NULL,
    person_id                       VARCHAR,
    bsn_check                       VARCHAR NOT NULL,
    geboortedatum                   VARCHAR,
    geboortedatum_raw               VARCHAR,
    geslacht                        VARCHAR,
    nationaliteit                   VARCHAR,
    verblijfstitel                  VARCHAR,
    datum_ingang_verblijfstitel     VARCHAR,
    datum_ingang_verblijfstitel_raw VARCHAR,
    datum_vestiging_gemeente        VARCHAR,
    datum_vestiging_gemeente_raw    VARCHAR
);

CREATE TABLE IF NOT EXISTS parsed.klantbeeld (
    delivery_month        DATE NOT NULL,
    source                VARCHAR NOT NULL,
    source_file           VARCHAR NOT NULL,
    file_hash             VARCHAR NOT NULL,
    row_number            INTEGER NOT NULL,
    person_id             VARCHAR,
    bsn_check             VARCHAR NOT NULL,
    klantmanager_id       VARCHAR,
    assessment_datum      VARCHAR,
    plan_van_aanpak_datum VARCHAR,
    advies_route          VARCHAR,
    afstand_arbeidsmarkt  VARCHAR,
    laatste_contact_datum VARCHAR
);

-- formatie has no BSN: no person_id / bsn_check.
CREATE TABLE IF NOT EXISTS parsed.formatie (
    delivery_month  DATE NOT NULL,
    source          VARCHAR NOT NULL,
    source_file     VARCHAR NOT NULL,
    file_hash       VARCHAR NOT NULL,
    row_number      INTEGER NOT NULL,
    maand           VARCHAR,
    team            VARCHAR,
    klantmanager_id VARCHAR,
    fte             VARCHAR
);

CREATE TABLE IF NOT EXISTS parsed.trajecten (
    delivery_month DATE NOT NULL,
    source         VARCHAR NOT NULL,
    partner        VARCHAR NOT NULL,
    source_file    VARCHAR NOT NULL,
    file_hash      VARCHAR NOT NULL,
    row_number     INTEGER NOT NULL,
    person_id      VARCHAR,
    bsn_check      VARCHAR NOT NULL,
    initiatief     VARCHAR,
    aanmelddatum   VARCHAR,
    startdatum     VARCHAR,
    einddatum      VARCHAR,
    uitkomst       VARCHAR,
    uitkomstdatum  VARCHAR,
    uren_per_week  VARCHAR
);
