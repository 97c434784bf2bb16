#!/usr/bin/env python3
"""compile_like.py - behaves like the compile.py Polkadot operators use, for the
integration tests. It is never edited to get PGO: that is switched on from
outside (the cargo shim first on PATH, or RUSTC_WRAPPER).

Usage: compile_like.py --source PRISTINE --work DIR --out DIR [--reextract]
                       TOOLCHAIN:CPU:CGU:LTO:OPT ...
  e.g. stable:native:16:false:3   (CPU "native" or "-" for none)
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

TARGET = "x86_64-unknown-linux-gnu"
BINARIES = ["polkadot", "polkadot-prepare-worker", "polkadot-execute-worker"]


def set_production_profile(manifest, cgu, lto, opt):
    with open(manifest) as f:
        text = f.read()
    section = (f"[profile.production]\ninherits = \"release\"\ncodegen-units = {cgu}\n"
               f"lto = {lto}\nopt-level = {opt}\n")
    text = re.sub(r"\[profile\.production\]\n(?:[^\[]*\n)*", section, text)
    with open(manifest, "w") as f:
        f.write(text)


def build(config, work, out):
    toolchain, cpu, cgu, lto, opt = config.split(":")
    subprocess.run(["rustup", "override", "set", toolchain], cwd=work, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if os.environ.get("COMPILE_LIKE_UPDATE"):  # needs the network
        subprocess.run(["rustup", "update"], check=True)
    set_production_profile(os.path.join(work, "Cargo.toml"), cgu, lto, opt)
    env = dict(os.environ)
    env["RUSTFLAGS"] = " -C target-cpu=native" if cpu == "native" else ""
    env["SUBSTRATE_CLI_GIT_COMMIT_HASH"] = "deadbeef"
    cmd = f"cargo build -p polkadot --profile=production --locked --target={TARGET}"
    if toolchain == "nightly":
        cmd += " -Z unstable-options"
    subprocess.run(cmd, shell=True, cwd=work, env=env, check=True)
    dest = os.path.join(out, config.replace(":", "_"))
    os.makedirs(dest, exist_ok=True)
    for b in BINARIES:
        shutil.copy2(os.path.join(work, "target", TARGET, "production", b), dest)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--source", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--reextract", action="store_true")
    p.add_argument("configs", nargs="+")
    a = p.parse_args()
    try:
        for config in a.configs:
            if a.reextract or not os.path.isdir(a.work):
                shutil.rmtree(a.work, ignore_errors=True)
                shutil.copytree(a.source, a.work)
            build(config, a.work, a.out)
    finally:
        if os.path.isdir(a.work):
            subprocess.run(["rustup", "override", "unset"], cwd=a.work,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
