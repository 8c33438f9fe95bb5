-- OS-TRUST redelegation: the trust a redelegated trust was made under.
ALTER TABLE trusts ADD COLUMN redelegated_trust_id VARCHAR(64);
CREATE INDEX trusts_redelegated ON trusts (redelegated_trust_id);
