# Sourced by the CLI tests: a command given bad input must exit with status 1 and print exactly one
# error line on stderr (a line containing PREFIX), which contains WANT ("" = anything).
#   one_error_line PREFIX WANT COMMAND ARGS...   prints "ok: ..." and returns 0, or "FAIL: ..." and returns 1
one_error_line() {
  local prefix="$1" want="$2"
  shift 2
  local err rc
  err="$("$@" 2>&1 >/dev/null)"
  rc=$?
  if [ "$rc" -ne 1 ] || [ "$(grep -cF -- "$prefix" <<<"$err")" -ne 1 ] || ! grep -qF -- "$want" <<<"$err"; then
    echo "FAIL: $* -> exit $rc, stderr: $err (wanted exit 1 and one '$prefix' line containing '$want')"
    return 1
  fi
  echo "ok: $* -> $(grep -F -- "$prefix" <<<"$err")"
}
