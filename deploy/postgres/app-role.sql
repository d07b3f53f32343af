-- The role the application connects as: not the database's owner, so it
-- cannot truncate or rewrite the audit trail or change the schema. The owner
-- gives it its privileges with `manage.py grant_app_role alliance_app` after
-- every migrate. docker compose's PostgreSQL runs this once, when it creates
-- its data volume; elsewhere run it as a superuser, with a password of your own.
CREATE ROLE alliance_app LOGIN PASSWORD 'alliance_app';
