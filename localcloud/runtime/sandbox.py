"""Least privilege for workloads: whom they run as, where their files live, which interpreter and
environment they get (CHOICES.md "Security (localcloud)").

- As a normal user, the emulator runs workloads as itself, under its 0700 data dir.
- As root, it runs them as an unprivileged system user (`localcloud-workload`, created on first use;
  `$LOCALCLOUD_WORKLOAD_USER` names another) that owns only the instances' root and disk directories.
  Those cannot live in the 0700 data dir, so they go to /var/lib/localcloud/<hash of the data dir>/,
  whose directories are root's and only traversable (0711). The interpreter of the emulator may live
  where that user cannot enter (here: under /root), so workloads get a venv at /var/lib/localcloud/
  python-<version>-<hash>/ made from a system interpreter of the same version, which imports the
  emulator's own (readable) site-packages.
- Always a clean environment: the manifest's env, PATH (the workload interpreter first), HOME (the
  instance root), LANG and FLEET_INSTANCE_ID; nothing of the emulator's (no ALIBABA_CLOUD_* keys).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pwd
import shutil
import site
import stat
import subprocess
import sys
import sysconfig
import threading
from dataclasses import dataclass

log = logging.getLogger(__name__)

USER_ENV = "LOCALCLOUD_WORKLOAD_USER"
DEFAULT_USER = "localcloud-workload"
SHARED_ROOT = "/var/lib/localcloud"
OWNER_FILE = "data_dir"  # in each workload base: the data dir it belongs to
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Identity:
    """Who workloads run as: uid/gid to switch to (None: the emulator's own user) and their interpreter."""

    uid: int | None
    gid: int | None
    name: str
    python: str

    @property
    def switches(self) -> bool:
        return self.uid is not None

    def popen_args(self) -> dict:
        if not self.switches:
            return {"umask": 0o077}
        return {"user": self.uid, "group": self.gid, "extra_groups": [], "umask": 0o077}

    def own(self, path: str, mode: int = 0o700) -> None:
        """Give a directory the runtime made to the workload user (no-op for the emulator's own user)."""
        os.chmod(path, mode)
        if self.uid is not None and self.gid is not None:
            os.chown(path, self.uid, self.gid, follow_symlinks=False)


def environment(identity: Identity, declared: dict[str, str], instance_id: str, home: str) -> dict[str, str]:
    """The whole environment of a workload: never the emulator's."""
    env = {"PATH": os.path.dirname(identity.python) + ":" + SYSTEM_PATH, "HOME": home, "LANG": "C.UTF-8"}
    env.update(declared)
    env["FLEET_INSTANCE_ID"] = instance_id
    return env


def base_dir(data_dir: str, identity: Identity) -> str:
    """Where instance roots and data disks live: the data dir itself, unless workloads switch user."""
    if not identity.switches:
        return data_dir
    data_dir = os.path.abspath(data_dir)
    key = hashlib.sha256(data_dir.encode()).hexdigest()[:16]
    path = os.path.join(SHARED_ROOT, key)
    traversable_dir(SHARED_ROOT)
    _sweep_orphans()
    for sub in (path, os.path.join(path, "instances"), os.path.join(path, "disks")):
        traversable_dir(sub)
    marker = os.path.join(path, OWNER_FILE)
    fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(data_dir + "\n")
    return path


def _sweep_orphans() -> None:
    """Workload directories whose data dir is gone (deleted by its owner) go too."""
    for name in os.listdir(SHARED_ROOT):
        path = os.path.join(SHARED_ROOT, name)
        if len(name) != 16 or os.path.islink(path) or not os.path.isdir(path):
            continue
        try:
            with open(os.path.join(path, OWNER_FILE)) as handle:
                owner = handle.read().strip()
        except OSError:
            continue
        if owner and not os.path.exists(owner):
            log.info("removing %s: its data dir %s is gone", path, owner)
            shutil.rmtree(path, ignore_errors=True)


def traversable_dir(path: str) -> None:
    """A root-owned directory others may pass through but not list (0711); refuses a symlink."""
    os.makedirs(path, mode=0o711, exist_ok=True)
    if os.path.islink(path):
        raise OSError(f"{path} is a symlink")
    os.chmod(path, 0o711)


def identity() -> Identity:
    """The identity for this emulator's workloads (see the module docstring)."""
    if os.geteuid() != 0:
        return Identity(None, None, pwd.getpwuid(os.geteuid()).pw_name, sys.executable)
    with _LOCK:
        entry = _workload_user()
        python = _workload_python(entry.pw_uid, entry.pw_gid)
    return Identity(entry.pw_uid, entry.pw_gid, entry.pw_name, python)


def _workload_user() -> pwd.struct_passwd:
    name = os.environ.get(USER_ENV) or DEFAULT_USER
    entry: pwd.struct_passwd | None
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        entry = None
        if name == DEFAULT_USER and shutil.which("useradd"):
            made = subprocess.run(
                [
                    "useradd",
                    "--system",
                    "--user-group",
                    "--no-create-home",
                    "--home-dir",
                    "/nonexistent",
                    "--shell",
                    "/usr/sbin/nologin",
                    name,
                ],
                capture_output=True,
                text=True,
            )
            if made.returncode in (0, 9):  # 9: someone created it meanwhile
                entry = pwd.getpwnam(name)
                log.info("created the system user %s for workloads", name)
            else:
                log.warning("cannot create user %s (%s); workloads run as nobody", name, made.stderr.strip())
        if entry is None:
            log.warning("no user %s: workloads run as nobody", name)
            entry = pwd.getpwnam("nobody")
    if entry.pw_uid == 0:
        raise RuntimeError(f"{USER_ENV}={name} is root: workloads must not run as root")
    return entry


def _can_run(python: str, uid: int, gid: int) -> bool:
    try:
        done = subprocess.run(
            [python, "-I", "-c", "import json, ssl"],
            user=uid,
            group=gid,
            extra_groups=[],
            capture_output=True,
            timeout=30,
            env={"PATH": SYSTEM_PATH},
            cwd="/",
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _site_dirs() -> list[str]:
    dirs = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()]
    return list(dict.fromkeys(d for d in dirs if os.path.isdir(d)))


def _workload_python(uid: int, gid: int) -> str:
    """An interpreter the workload user can run that imports the emulator's packages."""
    if _can_run(sys.executable, uid, gid):
        return sys.executable
    return workload_venv(uid, gid, _site_dirs(), SHARED_ROOT)


def workload_venv(uid: int, gid: int, sites: list[str], shared_root: str) -> str:
    """`<shared_root>/python-X.Y-<hash>/bin/python`: a venv of the system's pythonX.Y (the emulator's
    version, so compiled wheels match) whose .pth adds `sites`. A site dir the workload user cannot read
    (a checkout under /root) is mirrored into the venv with hard links (a copy across file systems)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    readable = {d: _can_read(d, uid, gid) for d in sites}
    stamp = [f"{d}:{readable[d] or os.stat(d).st_mtime_ns}" for d in sites]  # a mirror follows installs
    tag = hashlib.sha256("\n".join([version, *stamp]).encode()).hexdigest()[:12]
    venv = os.path.join(shared_root, f"python-{version}-{tag}")
    python = os.path.join(venv, "bin", "python")
    if os.path.exists(python) and _can_run(python, uid, gid):
        return python
    for candidate in (f"/usr/bin/python{version}", f"/usr/local/bin/python{version}", "/usr/bin/python3"):
        if os.path.exists(candidate) and _can_run(candidate, uid, gid) and _same_version(candidate, version):
            break
    else:
        log.warning("no python%s the workload user can run; workloads will fail to start", version)
        return sys.executable
    traversable_dir(shared_root)
    tmp = f"{venv}.tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run([candidate, "-m", "venv", "--without-pip", tmp], check=True, capture_output=True, timeout=120)
    purelib = subprocess.run(
        [os.path.join(tmp, "bin", "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    added = []
    for n, site_dir in enumerate(sites):
        if readable[site_dir]:
            added.append(site_dir)
            continue
        mirror = os.path.join(tmp, "mirror", str(n))
        _mirror(site_dir, mirror)
        added.append(mirror.replace(tmp, venv, 1))
        log.info("the workload user cannot read %s: mirrored into %s", site_dir, venv)
    with open(os.path.join(purelib, "localcloud-emulator-packages.pth"), "w") as handle:
        # addsitedir (not a plain path line) so that the .pth files there (editable installs) apply too.
        handle.write("".join(f"import site; site.addsitedir({d!r})\n" for d in added))
    mirrors = os.path.join(tmp, "mirror")
    for root, dirs, files in os.walk(tmp):
        # Readable by the workload user; a mirror's files are hard links of the emulator's: left as they are.
        for name in dirs + ([] if root.startswith(mirrors) else files):
            path = os.path.join(root, name)
            if not os.path.islink(path):
                mode = stat.S_IMODE(os.lstat(path).st_mode)
                os.chmod(path, mode | (0o755 if os.path.isdir(path) or mode & 0o100 else 0o644))
    os.chmod(tmp, 0o755)
    try:
        os.rename(tmp, venv)
    except OSError:  # another emulator made it first
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("workloads run with %s (python%s for user %s)", python, version, uid)
    return python


def _mirror(source: str, target: str) -> None:
    """Hard links of every file of `source` under `target` (a copy when linking is not possible)."""

    def link_or_copy(src, dst):
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, symlinks=True, copy_function=link_or_copy)


def _same_version(python: str, version: str) -> bool:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return False
    return out == version


def _can_read(path: str, uid: int, gid: int) -> bool:
    try:
        return (
            subprocess.run(
                ["/bin/ls", path], user=uid, group=gid, extra_groups=[], capture_output=True, timeout=30, cwd="/"
            ).returncode
            == 0
        )
    except (OSError, subprocess.SubprocessError):
        return False
