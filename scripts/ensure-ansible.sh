#!/usr/bin/env bash
# Makes `ansible-playbook` available for the benchmark's Ansible peer (bench/peers/ansible/):
# present already, or installed from Debian's packages (ansible-core: the `uri`, `set_fact` and
# `assert` modules the playbook uses are all built in, so the 400 MB `ansible` collection bundle
# is not needed). Only as root, only through apt. Prints the ansible-playbook path on success;
# one line saying why not, and exit 1, otherwise.
set -u
export PATH="$PATH:/usr/bin:/usr/sbin:/sbin"
if found=$(command -v ansible-playbook); then echo "$found"; exit 0; fi
fail() { echo "ensure-ansible: $1" >&2; exit 1; }
[[ $(id -u) == 0 ]] || fail "ansible-playbook is missing and this is not root: install ansible-core (apt-get install ansible-core)"
command -v apt-get >/dev/null || fail "ansible-playbook is missing and there is no apt-get: install ansible-core"
log=$(mktemp)
if ! apt-cache policy ansible-core 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  DEBIAN_FRONTEND=noninteractive apt-get update >"$log" 2>&1 || fail "apt-get update failed: $(tail -1 "$log")"
fi
if ! DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y --no-install-recommends ansible-core >"$log" 2>&1; then
  fail "apt-get install ansible-core failed: $(tail -1 "$log")"
fi
rm -f "$log"
found=$(command -v ansible-playbook) || fail "ansible-core installed but ansible-playbook is not on PATH"
echo "$found"
