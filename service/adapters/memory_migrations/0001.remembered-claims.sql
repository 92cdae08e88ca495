-- Claim memory: one row per claim the service edited, keyed by its patient and the edit
-- that first remembered it (memory_key: event id and claim id), ordered by first edit
-- (sequence). Only accepted claims count against others; the rest keep their place so a
-- replay sees what it saw the first time.
-- What is stored is only what the history edits read: the patient as an HMAC-SHA256 of
-- payer and member id (never the member id or a name), NPIs, claim ids, frequency, outcome,
-- and the lines as JSON arrays [line, code, modifiers, units, charge, date of service].

CREATE SEQUENCE claim_memory_sequence AS bigint;

CREATE TABLE remembered_claim (
    patient bytea NOT NULL CHECK (octet_length(patient) = 32),
    memory_key text NOT NULL,
    sequence bigint NOT NULL,
    claim_id text NOT NULL,
    frequency text NOT NULL CHECK (frequency IN ('original', 'replacement', 'void')),
    replaces text,
    setting text NOT NULL CHECK (setting IN ('professional', 'hospital_outpatient', 'asc')),
    billing_npi text NOT NULL,
    rendering_npi text NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('claim.enriched', 'claim.rejected')),
    first_service_date date NOT NULL,
    last_service_date date NOT NULL,
    lines jsonb NOT NULL,
    PRIMARY KEY (patient, memory_key)
);

-- The batch read: every claim of the batch's patients still within retention.
CREATE INDEX remembered_claim_patient ON remembered_claim (patient, last_service_date);

-- The retention purge: claims whose latest date of service is before the cutoff.
CREATE INDEX remembered_claim_last_service_date ON remembered_claim (last_service_date);
