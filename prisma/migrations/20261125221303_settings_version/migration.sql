-- AlterTable
ALTER TABLE "Organization" ADD COLUMN     "settingsVersion" BIGINT NOT NULL DEFAULT 0;

-- Settings cache (ingestion performance): every change of the settings ingestion reads gives the
-- organization a new "settingsVersion", taken from a sequence so that a value is never handed out
-- twice (a rolled-back change cannot leave a version another change reuses). Instances compare it
-- with the version of their cached snapshot. Statement-level triggers with transition tables, so a
-- bulk insert of 3,000 preference rows bumps once, and row-level with a column list where frequent
-- updates do not matter (Operator presence, Addon delivery health). Function bodies are escape
-- strings with \073 for each semicolon: the pg driver adapter splits migration scripts on every
-- semicolon, quoted or not.
CREATE SEQUENCE "SettingsVersion_seq";

CREATE FUNCTION "bump_settings_version"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  IF TG_OP = ''INSERT'' THEN
    UPDATE "Organization" SET "settingsVersion" = nextval(''"SettingsVersion_seq"'')
      WHERE "id" IN (SELECT "organizationId" FROM new_rows)\073
  ELSIF TG_OP = ''UPDATE'' THEN
    UPDATE "Organization" SET "settingsVersion" = nextval(''"SettingsVersion_seq"'')
      WHERE "id" IN (SELECT "organizationId" FROM new_rows UNION SELECT "organizationId" FROM old_rows)\073
  ELSE
    UPDATE "Organization" SET "settingsVersion" = nextval(''"SettingsVersion_seq"'')
      WHERE "id" IN (SELECT "organizationId" FROM old_rows)\073
  END IF\073
  RETURN NULL\073
END ';

CREATE FUNCTION "bump_settings_version_of_row"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  UPDATE "Organization" SET "settingsVersion" = nextval(''"SettingsVersion_seq"'')
    WHERE "id" IN (OLD."organizationId", NEW."organizationId")\073
  RETURN NULL\073
END ';

-- GroupMembership has no organizationId: through the group, or the operator when the group is gone.
CREATE FUNCTION "bump_settings_version_of_memberships"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  IF TG_OP = ''INSERT'' THEN
    UPDATE "Organization" SET "settingsVersion" = nextval(''"SettingsVersion_seq"'')
      WHERE "id" IN (SELECT g."organizationId" FROM "OperatorGroup" g WHERE g."id" IN (SELECT "groupId" FROM new_rows)
                     UNION SELECT o."organizationId" FROM "Operator" o WHERE o."id" IN (SELECT "operatorId" FROM new_rows))\073
  ELSIF TG_OP = ''UPDATE'' THEN
    UPDATE "Organization" SET "settingsVersion" = nextval(''"SettingsVersion_seq"'')
      WHERE "id" IN (SELECT g."organizationId" FROM "OperatorGroup" g
                       WHERE g."id" IN (SELECT "groupId" FROM new_rows UNION SELECT "groupId" FROM old_rows)
                     UNION SELECT o."organizationId" FROM "Operator" o
                       WHERE o."id" IN (SELECT "operatorId" FROM new_rows UNION SELECT "operatorId" FROM old_rows))\073
  ELSE
    UPDATE "Organization" SET "settingsVersion" = nextval(''"SettingsVersion_seq"'')
      WHERE "id" IN (SELECT g."organizationId" FROM "OperatorGroup" g WHERE g."id" IN (SELECT "groupId" FROM old_rows)
                     UNION SELECT o."organizationId" FROM "Operator" o WHERE o."id" IN (SELECT "operatorId" FROM old_rows))\073
  END IF\073
  RETURN NULL\073
END ';

CREATE TRIGGER "Role_settings_version_insert" AFTER INSERT ON "Role"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();
CREATE TRIGGER "Role_settings_version_update" AFTER UPDATE ON "Role"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();
CREATE TRIGGER "Role_settings_version_delete" AFTER DELETE ON "Role"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();

CREATE TRIGGER "Operator_settings_version_insert" AFTER INSERT ON "Operator"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();
CREATE TRIGGER "Operator_settings_version_update" AFTER UPDATE OF "roleId", "deletedAt", "email", "name", "organizationId" ON "Operator"
  FOR EACH ROW WHEN (OLD."roleId" IS DISTINCT FROM NEW."roleId" OR OLD."deletedAt" IS DISTINCT FROM NEW."deletedAt"
                     OR OLD."email" IS DISTINCT FROM NEW."email" OR OLD."name" IS DISTINCT FROM NEW."name"
                     OR OLD."organizationId" IS DISTINCT FROM NEW."organizationId")
  EXECUTE FUNCTION "bump_settings_version_of_row"();
CREATE TRIGGER "Operator_settings_version_delete" AFTER DELETE ON "Operator"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();

CREATE TRIGGER "OperatorGroup_settings_version_insert" AFTER INSERT ON "OperatorGroup"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();
CREATE TRIGGER "OperatorGroup_settings_version_update" AFTER UPDATE ON "OperatorGroup"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();
CREATE TRIGGER "OperatorGroup_settings_version_delete" AFTER DELETE ON "OperatorGroup"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();

CREATE TRIGGER "GroupMembership_settings_version_insert" AFTER INSERT ON "GroupMembership"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version_of_memberships"();
CREATE TRIGGER "GroupMembership_settings_version_update" AFTER UPDATE ON "GroupMembership"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version_of_memberships"();
CREATE TRIGGER "GroupMembership_settings_version_delete" AFTER DELETE ON "GroupMembership"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version_of_memberships"();

CREATE TRIGGER "Widget_settings_version_insert" AFTER INSERT ON "Widget"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();
CREATE TRIGGER "Widget_settings_version_update" AFTER UPDATE ON "Widget"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();
CREATE TRIGGER "Widget_settings_version_delete" AFTER DELETE ON "Widget"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();

CREATE TRIGGER "Addon_settings_version_insert" AFTER INSERT ON "Addon"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();
CREATE TRIGGER "Addon_settings_version_update" AFTER UPDATE OF "kind", "enabled", "events", "config", "deletedAt", "organizationId" ON "Addon"
  FOR EACH ROW WHEN (OLD."kind" IS DISTINCT FROM NEW."kind" OR OLD."enabled" IS DISTINCT FROM NEW."enabled"
                     OR OLD."events" IS DISTINCT FROM NEW."events" OR OLD."config" IS DISTINCT FROM NEW."config"
                     OR OLD."deletedAt" IS DISTINCT FROM NEW."deletedAt" OR OLD."organizationId" IS DISTINCT FROM NEW."organizationId")
  EXECUTE FUNCTION "bump_settings_version_of_row"();
CREATE TRIGGER "Addon_settings_version_delete" AFTER DELETE ON "Addon"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();

CREATE TRIGGER "OperatorPreference_settings_version_insert" AFTER INSERT ON "OperatorPreference"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();
CREATE TRIGGER "OperatorPreference_settings_version_update" AFTER UPDATE ON "OperatorPreference"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();
CREATE TRIGGER "OperatorPreference_settings_version_delete" AFTER DELETE ON "OperatorPreference"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();
