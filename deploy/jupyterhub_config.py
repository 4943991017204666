"""JupyterHub configuration of the course (docs/jupyterhub.md): students and instructors on one server.

Reads its settings from the JSON file named by $DLCOURSE_HUB_SETTINGS (written by
``python -m grader hub``; on a server, write /etc/dlcourse/hub.json by hand or with
``python -m grader hub ... --configure-only``). Keys: course_dir, exchange, grader_user,
students, instructors, user_config_dir, state_dir, bin_dir, course_id, ip, port, hub_port,
proxy_api_port, service_port, authenticator ("pam", or "shared" for a trial only),
shared_password, service_config_path.

* every user is a local system user; JupyterHub (run as root) starts their servers as them
  (LocalProcessSpawner); campus login: replace the authenticator (docs/jupyterhub.md);
* every user's server reads ``user_config_dir`` (course id, exchange, the course's
  JupyterLab defaults, no formgrader);
* formgrader runs as the hub service named after the course, as the grader account, in
  the course directory (nbgrader's "one class, multiple graders" setup): the instructors
  (group formgrade-<course>) reach it at /services/<course>/formgrader; grading runs there,
  as the grader account, with the course's engine and sandbox.
"""
import json
import os
from pathlib import Path

c = get_config()  # noqa: F821
settings = json.loads(Path(os.environ.get("DLCOURSE_HUB_SETTINGS", "/etc/dlcourse/hub.json")).read_text())
course = settings["course_id"]
state = Path(settings["state_dir"])
bin_dir = Path(settings["bin_dir"])

# --- the hub, its proxy (configurable-http-proxy from npm) and its state ---------------------------------
c.JupyterHub.ip = settings["ip"]
c.JupyterHub.port = settings["port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = settings["hub_port"]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['proxy_api_port']}"
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every user's server

# --- who may log in ----------------------------------------------------------------------------------------
if settings["authenticator"] == "shared":
    # TRIAL ONLY: one password for every account (never on a network others can reach).
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = settings["shared_password"]
else:
    c.JupyterHub.authenticator_class = "pam"  # the users' system passwords
c.Authenticator.allowed_users = set(settings["students"]) | set(settings["instructors"])
# No hub admins among them: an admin could open every student's server. Instructors reach
# formgrader through the group below; run `jupyterhub` commands as root for administration.

# --- every user's own server -----------------------------------------------------------------------------
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(bin_dir / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.environment = {
    "JUPYTER_CONFIG_PATH": settings["user_config_dir"],
    "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120

# --- formgrader: the course's service, run as the grader account in the course directory ---------------
c.JupyterHub.load_groups = {f"formgrade-{course}": {"users": sorted(settings["instructors"])},
                            f"nbgrader-{course}": {"users": sorted(settings["students"])}}
c.JupyterHub.load_roles = [
    {"name": f"formgrade-{course}", "groups": [f"formgrade-{course}"],
     "scopes": [f"access:services!service={course}", "list:services", f"read:services!service={course}"]},
    {"name": f"nbgrader-{course}", "groups": [f"nbgrader-{course}"],
     "scopes": ["list:services", f"read:services!service={course}"]},
    # the servers' own tokens carry their owner's permissions (nbgrader's course list uses them)
    {"name": "server", "scopes": ["inherit"]},
]
c.JupyterHub.services = [{
    "name": course,
    "url": f"http://127.0.0.1:{settings['service_port']}",
    "command": [str(bin_dir / "jupyterhub-singleuser"), f"--ServerApp.root_dir={settings['course_dir']}"],
    "user": settings["grader_user"],
    "cwd": settings["course_dir"],
    "oauth_no_confirm": True,
    "environment": {
        "JUPYTERHUB_DEFAULT_URL": "/lab",
        "JUPYTER_CONFIG_PATH": os.pathsep.join(settings["service_config_path"]),
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
    },
}]
