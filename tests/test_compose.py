"""docker-compose.yml, the Makefile, Procfile and README agree with each other.

No Docker engine runs the tests, so the file is checked by reading it.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_compose_runs_the_whole_stack():
    """web, worker, beat, PostgreSQL 16 and Redis 7 are all there."""
    assert set(SERVICES) == {"web", "worker", "beat", "db", "redis"}
    assert SERVICES["db"]["image"] == "postgres:16"
    assert SERVICES["redis"]["image"] == "redis:7"


def test_database_keeps_its_data_in_a_named_volume():
    """PostgreSQL's data lives in a named volume declared at the top level."""
    volume = SERVICES["db"]["volumes"][0].split(":")[0]
    assert volume in COMPOSE["volumes"]


def test_every_service_has_a_healthcheck_or_waits_for_healthy_ones():
    """Services start only once what they depend on is healthy."""
    for name in ("web", "db", "redis"):
        assert "healthcheck" in SERVICES[name], name
    for name in ("web", "worker", "beat"):
        conditions = {dep["condition"] for dep in SERVICES[name]["depends_on"].values()}
        assert conditions == {"service_healthy"}, name


def test_web_migrates_then_serves_with_gunicorn():
    """The web container applies migrations on start and serves with gunicorn."""
    command = " ".join(SERVICES["web"]["command"].split())
    assert command.index("migrate") < command.index(
        "gunicorn alliance_procurement.wsgi"
    )


def test_the_app_connects_as_its_own_role_and_the_owner_migrates():
    """Web, worker and beat connect as the role deploy/postgres/app-role.sql
    creates when the database's volume is made; the web container migrates
    and grants that role its privileges as the owner, then serves as the
    role (tests/integration/test_app_role.py runs the same steps)."""
    import urllib.parse

    init_sql = (ROOT / "deploy" / "postgres" / "app-role.sql").read_text()
    role, password = re.search(
        r"CREATE ROLE (\w+) LOGIN PASSWORD '([^']+)';", init_sql
    ).groups()
    mount = "./deploy/postgres/app-role.sql:/docker-entrypoint-initdb.d/app-role.sql:ro"
    assert mount in SERVICES["db"]["volumes"]
    database = SERVICES["db"]["environment"]
    for name in ("web", "worker", "beat"):
        url = urllib.parse.urlsplit(SERVICES[name]["environment"]["DATABASE_URL"])
        assert (url.username, url.password) == (role, password), name
        assert url.path == f"/{database['POSTGRES_DB']}", name
        owner_url = SERVICES[name]["environment"].get("DATABASE_OWNER_URL")
        assert (owner_url is not None) == (name == "web"), name
    owner = urllib.parse.urlsplit(SERVICES["web"]["environment"]["DATABASE_OWNER_URL"])
    assert (owner.username, owner.password) == (
        database["POSTGRES_USER"],
        database["POSTGRES_PASSWORD"],
    )
    command = " ".join(SERVICES["web"]["command"].split())
    migrate = "DATABASE_URL=$$DATABASE_OWNER_URL python manage.py migrate --noinput"
    grant = f"DATABASE_URL=$$DATABASE_OWNER_URL python manage.py grant_app_role {role}"
    serve = "gunicorn alliance_procurement.wsgi"
    assert command.index(migrate) < command.index(grant) < command.index(serve)


def test_web_is_healthy_when_its_health_check_answers():
    """docker compose asks the app's health check, which answers 200 while the
    database and cache answer (tests/test_health.py), not a page that
    DJANGO_ALLOWED_HOSTS or the HTTPS redirect of a production setting
    would refuse, which would keep the worker and beat from ever starting."""
    probe = " ".join(SERVICES["web"]["healthcheck"]["test"])
    assert "urlopen('http://127.0.0.1:8000/healthz')" in probe


def test_worker_and_beat_commands_match_the_procfile():
    """docker compose and `make run` start the same worker and beat."""
    procfile = dict(
        line.split(": ", 1)
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line
    )
    assert (
        "celery -A alliance_procurement worker --queues default,documents"
        in (SERVICES["worker"]["command"])
    )
    assert (
        "celery -A alliance_procurement worker --queues default,documents"
        in (procfile["worker"])
    )
    assert "celery -A alliance_procurement beat" in SERVICES["beat"]["command"]
    assert "celery -A alliance_procurement beat" in procfile["beat"]
    assert "gunicorn alliance_procurement.wsgi" in procfile["web"]


def test_the_worker_runs_below_the_web_servers_priority():
    """A PDF being laid out takes a whole core: on a shared host the worker
    yields to the web server. Containers share the CPU by weight (1024 each
    unless set), so docker compose gives the worker a smaller one; under
    `make run` the worker lowers its own priority (WORKER_NICE, checked with
    a real worker in tests/integration), and nothing lowers the web server's."""
    assert SERVICES["worker"]["cpu_shares"] < 1024
    assert "cpu_shares" not in SERVICES["web"]
    procfile = dict(
        line.split(": ", 1)
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line
    )
    assert "nice" not in procfile["web"]


def test_app_services_use_the_environment_the_settings_read():
    """The containers set the variables settings.py reads for the full stack."""
    environment = SERVICES["web"]["environment"]
    for variable in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SECRET_KEY"):
        assert variable in environment
    assert "@db:5432/" in environment["DATABASE_URL"]
    assert environment["CELERY_BROKER_URL"].startswith("redis://redis:6379/")


def test_readme_names_only_services_that_exist():
    """Every compose service the README mentions exists, and it shows both commands."""
    readme = (ROOT / "README.md").read_text()
    named = set(re.findall(r"`(web|worker|beat|db|redis)`", readme))
    assert named, "the README should name the compose services"
    assert named <= set(SERVICES)
    assert "make run" in readme
    assert "make test" in readme
    assert "docker compose up" in readme


def test_makefile_targets_the_readme_promises_exist():
    """`make run` and `make test` exist, and `.ci/run` calls `make test`."""
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.MULTILINE)
    assert re.search(r"^test:", makefile, re.MULTILINE)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def _gunicorn_settings(**environment) -> dict:
    """gunicorn's own reading of its settings, started where `make run`, the
    Docker image and docker compose start it (this directory)."""
    printed = subprocess.run(  # noqa: S603 -- fixed arguments
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--print-config",
            "alliance_procurement.wsgi",
        ],
        cwd=ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {
        name.strip(): value.strip()
        for name, _, value in (line.partition("=") for line in printed.splitlines())
    }


def test_web_requests_may_outlast_a_large_pooling_commit():
    """gunicorn reads gunicorn.conf.py wherever the app is served: a worker
    may run a request for two minutes (a million-line commit takes about
    half a minute) and finishes it on a restart; GUNICORN_TIMEOUT changes it."""
    settings = _gunicorn_settings()
    assert settings["timeout"] == "120"
    assert settings["graceful_timeout"] == "120"
    assert _gunicorn_settings(GUNICORN_TIMEOUT="300")["timeout"] == "300"
    # Nothing that starts gunicorn sets its own timeout over the file's.
    commands = [
        (ROOT / "Procfile").read_text(),
        (ROOT / "Dockerfile").read_text(),
        SERVICES["web"]["command"],
    ]
    assert all("--timeout" not in command for command in commands)
    assert "gunicorn.conf.py" not in (ROOT / ".dockerignore").read_text()
