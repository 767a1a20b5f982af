-- Settings cache (issue 8), written by hand (no schema change): the settings snapshot now carries the
-- unread escalations operators asked for (E5), so that a report whose inbox rows can match none
-- leaves the escalation inserts out of its one statement. A change of them must therefore give the
-- organization a new "settingsVersion", as every other setting ingestion reads does.
CREATE TRIGGER "UnreadEscalationPreference_settings_version_insert" AFTER INSERT ON "UnreadEscalationPreference"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();
CREATE TRIGGER "UnreadEscalationPreference_settings_version_update" AFTER UPDATE ON "UnreadEscalationPreference"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();
CREATE TRIGGER "UnreadEscalationPreference_settings_version_delete" AFTER DELETE ON "UnreadEscalationPreference"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();
