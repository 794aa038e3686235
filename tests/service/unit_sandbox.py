#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""Apply a systemd unit's process sandbox by hand, where no systemd runs.

usage: unit_sandbox.py exec UNIT [--drop CAP]... -- COMMAND [ARGS...]

Reads from UNIT's [Service] section, as systemd 252 applies them:

  LimitMEMLOCK=            setrlimit(RLIMIT_MEMLOCK)
  CapabilityBoundingSet=   every other capability leaves the bounding,
                           inheritable and ambient sets, so COMMAND (run as
                           root) gets exactly these; --drop removes one more
  NoNewPrivileges=         PR_SET_NO_NEW_PRIVS
  SystemCallFilter=        an allow list (groups expanded with
  SystemCallErrorNumber=   `systemd-analyze syscall-filter`), the rest fail
                           with that errno
  SystemCallArchitectures= native: libseccomp's default, native only
  RestrictAddressFamilies= socket() of any other family: EAFNOSUPPORT
  MemoryDenyWriteExecute=  mmap(W|X), mprotect(X), pkey_mprotect(X),
                           shmat(SHM_EXEC): EPERM

then execs COMMAND. The file-system settings (ProtectSystem= ...) are for
the caller (a mount namespace); see unit_sandbox.sh. Unknown settings are
not silently taken as applied: `check UNIT` lists the [Service] keys this
emulation (or the caller) does not cover.
"""

import ctypes
import errno
import os
import resource
import socket
import subprocess
import sys

import seccomp

# What the test covers: here, in unit_sandbox.sh (mounts, RuntimeDirectory,
# StateDirectory), or not relevant outside systemd (stop, restart,
# environment, devices cgroup: the test runs no device besides the TAP).
COVERED = {
    "LimitMEMLOCK", "CapabilityBoundingSet", "AmbientCapabilities",
    "NoNewPrivileges", "SystemCallFilter", "SystemCallErrorNumber",
    "SystemCallArchitectures", "RestrictAddressFamilies",
    "MemoryDenyWriteExecute",
    # unit_sandbox.sh: read-only file system, writable state and runtime
    "ProtectSystem", "ProtectKernelTunables", "ProtectControlGroups",
    "RuntimeDirectory", "StateDirectory", "StateDirectoryMode", "UMask",
    "UnsetEnvironment",
}
NOT_EMULATED = {
    # Outside this emulation: service management and namespaces that do
    # not change what wgjit may do with the TAP, AF_PACKET and Netlink.
    "Type", "Environment", "EnvironmentFile", "ExecStart", "KillSignal",
    "TimeoutStopSec", "Restart", "RestartSec", "DevicePolicy",
    "DeviceAllow", "ProtectHome", "PrivateTmp", "ProtectKernelModules",
    "ProtectKernelLogs", "ProtectClock", "ProtectHostname", "ProtectProc",
    "RestrictNamespaces", "RestrictRealtime", "RestrictSUIDSGID",
    "LockPersonality", "KeyringMode",
}

PR_SET_NO_NEW_PRIVS = 38
PR_CAPBSET_DROP = 24
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
PROT_WRITE, PROT_EXEC, SHM_EXEC = 0x2, 0x4, 0o100000
AF_MAX = 46


def service_settings(path):
    """[Service] KEY -> list of values, in file order."""
    out, section = {}, None
    for line in open(path):
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]" and "=" in line:
            k, v = line.split("=", 1)
            out.setdefault(k.strip(), []).append(v.strip())
    return out


def cap_numbers():
    """capability name (lower case, no CAP_) -> number, from capsh."""
    names = {}
    last = int(open("/proc/sys/kernel/cap_last_cap").read())
    for n in range(last + 1):
        out = subprocess.run(["capsh", f"--decode={1 << n:x}"],
                             capture_output=True, text=True).stdout
        names[out.strip().split("=")[-1].removeprefix("cap_")] = n
    return names


def syscall_names(items):
    """Expand @groups (recursively) and names into a set of names."""
    out = set()
    for item in items:
        if not item.startswith("@"):
            out.add(item)
            continue
        listing = subprocess.run(["systemd-analyze", "syscall-filter", item],
                                 capture_output=True, text=True, check=True).stdout
        members = [ln.strip() for ln in listing.splitlines()[1:]
                   if ln.strip() and not ln.strip().startswith("#")]
        out |= syscall_names(members)
    return out


def apply(settings, drop):
    libc = ctypes.CDLL(None, use_errno=True)

    def prctl(*args):
        if libc.prctl(*[ctypes.c_ulong(a) for a in args]) != 0:
            raise OSError(ctypes.get_errno(), f"prctl{args}")

    for v in settings.get("LimitMEMLOCK", []):
        lim = resource.RLIM_INFINITY if v == "infinity" else int(v)
        try:
            resource.setrlimit(resource.RLIMIT_MEMLOCK, (lim, lim))
        except ValueError:
            # systemd raises it as PID 1; a box without CAP_SYS_RESOURCE
            # cannot. The lower limit only makes the test stricter.
            hard = resource.getrlimit(resource.RLIMIT_MEMLOCK)[1]
            resource.setrlimit(resource.RLIMIT_MEMLOCK, (hard, hard))
            print(f"unit_sandbox: LimitMEMLOCK={v} not possible here, "
                  f"kept {hard} bytes", file=sys.stderr)

    caps = cap_numbers()
    keep = set()
    for v in settings.get("CapabilityBoundingSet", ["~"]):
        keep |= {c.lower().removeprefix("cap_") for c in v.split()}
    keep -= {d.lower().removeprefix("cap_") for d in drop}
    unknown = keep - set(caps)
    if unknown:
        raise SystemExit(f"unit_sandbox: unknown capabilities {unknown}")
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    for name, n in caps.items():
        if name not in keep:
            prctl(PR_CAPBSET_DROP, n, 0, 0, 0)
    # Root keeps its inheritable set across exec: it must be empty.
    status = open("/proc/self/status").read()
    if "CapInh:\t0000000000000000" not in status:
        raise SystemExit("unit_sandbox: the inheritable set is not empty")

    if settings.get("NoNewPrivileges", ["no"])[-1] == "yes":
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)

    filters = []
    allow = [v for v in settings.get("SystemCallFilter", []) if v]
    if any(v.startswith("~") for v in allow):
        raise SystemExit("unit_sandbox: deny lists are not emulated")
    if allow:
        num = settings.get("SystemCallErrorNumber", ["EPERM"])[-1]
        f = seccomp.SyscallFilter(defaction=seccomp.ERRNO(getattr(errno, num)))
        names = syscall_names(" ".join(allow).split())
        for name in sorted(names):
            try:
                f.add_rule(seccomp.ALLOW, name)
            except (RuntimeError, ValueError, OSError):
                pass    # not a system call on this architecture
        filters.append(f)
    # Argument checks go into a second filter: the kernel runs both and
    # the strictest answer wins, as with systemd's separate filters.
    g = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    families = settings.get("RestrictAddressFamilies", [])
    if families:
        ok = {getattr(socket, fam) for fam in " ".join(families).split()
              if hasattr(socket, fam)}
        if "AF_XDP" in " ".join(families):
            ok.add(44)      # Python's socket module has no AF_XDP
        for fam in range(AF_MAX):
            if fam not in ok:
                g.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socket",
                           seccomp.Arg(0, seccomp.EQ, fam))
        g.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socket",
                   seccomp.Arg(0, seccomp.GE, AF_MAX))
    if settings.get("MemoryDenyWriteExecute", ["no"])[-1] == "yes":
        wx = PROT_WRITE | PROT_EXEC
        g.add_rule(seccomp.ERRNO(errno.EPERM), "mmap",
                   seccomp.Arg(2, seccomp.MASKED_EQ, wx, wx))
        for call in ("mprotect", "pkey_mprotect"):
            g.add_rule(seccomp.ERRNO(errno.EPERM), call,
                       seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, PROT_EXEC))
        g.add_rule(seccomp.ERRNO(errno.EPERM), "shmat",
                   seccomp.Arg(2, seccomp.MASKED_EQ, SHM_EXEC, SHM_EXEC))
    # The allow list last: it may not allow seccomp() itself.
    g.load()
    for f in filters:
        f.load()


def main():
    argv = sys.argv[1:]
    if len(argv) >= 2 and argv[0] == "check":
        left = set(service_settings(argv[1])) - COVERED - NOT_EMULATED
        for k in sorted(left):
            print(k)
        return 1 if left else 0
    if len(argv) < 4 or argv[0] != "exec" or "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 64
    sep = argv.index("--")
    opts, cmd = argv[2:sep], argv[sep + 1:]
    drop = [opts[i + 1] for i, o in enumerate(opts) if o == "--drop"]
    apply(service_settings(argv[1]), drop)
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    sys.exit(main())
