#!/usr/bin/env bash
# Prints the git commit of the fedpeft checkout in folder $1, which the build stamps into
# fedpeft-core (org/fedpeft/build-info.properties, read for manifest.json's git_commit):
#   <40 hex digits>        the checkout's HEAD, and the build's sources are that commit's
#   <40 hex digits>+dirty  HEAD, with uncommitted or untracked changes to the build's sources (a
#                          pom.xml or anything under a module's src/main)
#   unknown                $1 is not the top of a git checkout (a source tarball, even one unpacked
#                          inside another repository), or git is missing or fails
# Usage: git-commit.sh DIR (the ./fedpeft launcher passes its own folder).
set -uo pipefail
dir="${1:?usage: git-commit.sh DIR}"
# Only the checkout's own .git counts: git would otherwise walk up to an enclosing repository.
# GIT_DIR and friends from the caller's environment would point it elsewhere too.
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_COMMON_DIR
if [[ ! -e "$dir/.git" ]] || ! command -v git >/dev/null; then
  echo unknown
  exit 0
fi
if ! sha="$(git -C "$dir" rev-parse --verify --quiet HEAD 2>/dev/null)" || [[ ! "$sha" =~ ^[0-9a-f]{40}$ ]]; then
  echo unknown
  exit 0
fi
if ! changes="$(git -C "$dir" status --porcelain --untracked-files=all -- \
  ':(glob)pom.xml' ':(glob)*/pom.xml' ':(glob)*/src/main/**' 2>/dev/null)"; then
  echo unknown
  exit 0
fi
if [[ -n "$changes" ]]; then
  echo "$sha+dirty"
else
  echo "$sha"
fi
