#!/usr/bin/env bash
# Drives a running Ferrostack cloud with the real `openstack` CLI (python-openstackclient
# from compat/venv.sh) and checks what each command prints, not only its exit status.
#
#   OS_CLIENT_CONFIG_FILE=DATA_DIR/clouds.yaml compat/cli_scenario.sh
#
# Uses the clouds `ferrostack-admin` and `ferrostack` that `ferrostack up` writes.
# Prints one line per step; stops at the first failure with a message naming the step
# (exit 1). Resources get a random suffix, so it can run against a cloud more than once.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${OS_CLIENT_CONFIG_FILE:?set OS_CLIENT_CONFIG_FILE to the clouds.yaml written by ferrostack up}"
export OS_CLIENT_CONFIG_FILE
OPENSTACK=${OPENSTACK:-$("$here/venv.sh")/bin/openstack}
PYTHON=$(dirname "$OPENSTACK")/python3
unset OS_CLOUD OS_AUTH_URL OS_USERNAME OS_PASSWORD OS_PROJECT_NAME OS_TOKEN OS_AUTH_TYPE || true

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- reporting ---------------------------------------------------------------------------
STEP="(start)"
STEPS_OK=0
SKIPS=0
t_start=$(date +%s)
step() { STEP="$*"; printf '  %-70s ' "$STEP"; }
ok() { STEPS_OK=$((STEPS_OK + 1)); echo "ok${1:+ ($1)}"; }
skip() { SKIPS=$((SKIPS + 1)); echo "SKIPPED: $*"; }
# Stops the whole script, also from inside a $(...) command substitution ($$ is the
# main shell there too).
die() { touch "$tmp/reported"; kill -USR1 $$; exit 1; }
trap 'exit 1' USR1
fail() {
  echo "FAILED" >&2
  echo "cli_scenario: FAIL in step \"$STEP\": $*" >&2
  die
}
# A command that fails outside a check (set -e) also names its step.
trap 'rc=$?; if [ ! -e "$tmp/reported" ]; then touch "$tmp/reported"; echo "FAILED" >&2; echo "cli_scenario: FAIL in step \"$STEP\" (exit $rc at line $LINENO)" >&2; fi' ERR
set -E

# --- running the CLI -----------------------------------------------------------------------
redact() {
  local out=() hide=0 a
  for a in "$@"; do
    if [ $hide = 1 ]; then out+=("***"); hide=0; continue; fi
    case $a in
      --password|--original-password|--os-password|--os-application-credential-secret|--secret) hide=1 ;;
    esac
    out+=("$a")
  done
  echo "${out[*]}"
}
# os ARGS...: run openstack; stdout passes through; on failure print the command and its
# stderr, and fail the step.
os() {
  local rc=0
  "$OPENSTACK" "$@" 2>"$tmp/stderr" || rc=$?
  if [ $rc -ne 0 ]; then
    {
      echo "FAILED"
      echo "cli_scenario: FAIL in step \"$STEP\": command exited $rc: openstack $(redact "$@")"
      sed 's/^/    /' "$tmp/stderr"
    } >&2
    die
  fi
}
osa() { os --os-cloud ferrostack-admin "$@"; }
osd() { os --os-cloud ferrostack "$@"; }
# os_must_fail PATTERN ARGS...: the command must fail and its stderr match PATTERN (ERE).
os_must_fail() {
  local pattern=$1 rc=0
  shift
  "$OPENSTACK" "$@" >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
  if [ $rc -eq 0 ]; then
    fail "expected failure but it succeeded: openstack $(redact "$@"): $(cat "$tmp/stdout")"
  fi
  if ! grep -Eqi -- "$pattern" "$tmp/stderr"; then
    fail "openstack $(redact "$@") failed, but stderr does not match /$pattern/: $(cat "$tmp/stderr")"
  fi
}

# --- checks --------------------------------------------------------------------------------
expect_eq() { # ACTUAL EXPECTED WHAT
  [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}
expect_nonempty() { # VALUE WHAT
  [ -n "$1" ] || fail "$2 is empty"
}
expect_line() { # TEXT LINE WHAT: LINE is one of TEXT's lines
  grep -qxF -- "$2" <<<"$1" || fail "$3: '$2' not among: $(tr '\n' '|' <<<"$1")"
}
expect_no_line() { # TEXT LINE WHAT
  if grep -qxF -- "$2" <<<"$1"; then fail "$3: '$2' still present"; fi
}
expect_match() { # TEXT ERE WHAT
  grep -Eq -- "$2" <<<"$1" || fail "$3: '$1' does not match /$2/"
}
jqr() { jq -r "$@" || fail "unexpected output (jq $*)"; }
wait_status() { # SERVER STATUS: polls the demo user's server until it has STATUS (20 s at most)
  local now
  for _ in $(seq 40); do
    now=$(osd server show "$1" -f value -c status)
    [ "$now" = "$2" ] && return 0
    sleep 0.5
  done
  fail "server $1 stayed $now, never $2"
}

cloud_field() { # CLOUD FIELD: a value of clouds.yaml
  "$PYTHON" -c 'import sys, yaml; c = yaml.safe_load(open(sys.argv[1]))["clouds"][sys.argv[2]]; print(c["auth"][sys.argv[3]])' \
    "$OS_CLIENT_CONFIG_FILE" "$1" "$2"
}

sfx=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
AUTH_URL=$(cloud_field ferrostack-admin auth_url)
echo "CLI scenario against $AUTH_URL (openstack $("$OPENSTACK" --version 2>&1 | awk '{print $2}'), suffix $sfx)"

# --- tokens and catalog --------------------------------------------------------------------
step "token issue (admin)"
admin_uid=$(osa user show admin -f value -c id)
admin_pid=$(osa project show admin -f value -c id)
tok=$(osa token issue -f json)
expect_nonempty "$(jqr .id <<<"$tok")" "token id"
expect_eq "$(jqr .user_id <<<"$tok")" "$admin_uid" "token user_id"
expect_eq "$(jqr .project_id <<<"$tok")" "$admin_pid" "token project_id"
exp=$(jqr .expires <<<"$tok")
[ "$(date -d "$exp" +%s)" -gt "$(date +%s)" ] || fail "token expires in the past: $exp"
ok

step "token issue (demo)"
demo_uid=$(osa user show demo -f value -c id)
demo_pid=$(osa project show demo -f value -c id)
tok=$(osd token issue -f json)
expect_eq "$(jqr .user_id <<<"$tok")" "$demo_uid" "token user_id"
expect_eq "$(jqr .project_id <<<"$tok")" "$demo_pid" "token project_id"
ok

step "catalog list / catalog show identity"
cat_json=$(osa catalog list -f json)
expect_eq "$(jqr '[.[] | select(.Type == "identity")] | length' <<<"$cat_json")" 1 "identity services in catalog"
for iface in public internal admin; do
  url=$(jqr --arg i "$iface" '.[] | select(.Type == "identity") | .Endpoints[] | select(.interface == $i and .region == "RegionOne") | .url' <<<"$cat_json")
  expect_eq "$url" "$AUTH_URL" "identity $iface endpoint url"
done
expect_eq "$(osd catalog show identity -f value -c type)" identity "catalog show identity (demo) type"
ok

# --- domains -------------------------------------------------------------------------------
dom=cli-dom-$sfx
step "domain create/show/set --disable/delete"
dom_id=$(osa domain create "$dom" --description "cli scenario" -f value -c id)
expect_nonempty "$dom_id" "domain id"
expect_eq "$(osa domain show "$dom" -f value -c id)" "$dom_id" "domain show id"
expect_eq "$(osa domain show "$dom_id" -f value -c enabled)" True "enabled after create"
expect_eq "$(osa domain show "$dom_id" -f value -c description)" "cli scenario" "description"
expect_line "$(osa domain list -f value -c Name)" "$dom" "domain list"
osa domain set --disable --description changed "$dom_id"
expect_eq "$(osa domain show "$dom_id" -f value -c enabled)" False "enabled after set --disable"
expect_eq "$(osa domain show "$dom_id" -f value -c description)" changed "description after set"
osa domain delete "$dom_id"
expect_no_line "$(osa domain list -f value -c ID)" "$dom_id" "domain list after delete"
os_must_fail "No domain (found|with)|Could not find domain|HTTP 404" --os-cloud ferrostack-admin domain show "$dom_id"
ok

# --- projects ------------------------------------------------------------------------------
parent=cli-parent-$sfx
child=cli-child-$sfx
step "project create (--tag) / create --parent / list / show"
parent_id=$(osa project create "$parent" --domain default --description parent --tag alpha --tag beta -f value -c id)
child_id=$(osa project create "$child" --domain default --parent "$parent_id" -f value -c id)
pj=$(osa project show "$child_id" -f json)
expect_eq "$(jqr .parent_id <<<"$pj")" "$parent_id" "child parent_id"
expect_eq "$(jqr .domain_id <<<"$pj")" default "child domain_id"
expect_eq "$(jqr .name <<<"$pj")" "$child" "child name"
pj=$(osa project show "$parent" -f json)
expect_eq "$(jqr '.tags | sort | join(",")' <<<"$pj")" "alpha,beta" "parent tags"
expect_eq "$(jqr .description <<<"$pj")" parent "parent description"
expect_eq "$(jqr .is_domain <<<"$pj")" false "parent is_domain"
plist=$(osa project list -f value -c Name)
expect_line "$plist" "$parent" "project list"
expect_line "$plist" "$child" "project list"
expect_eq "$(osa project list --parent "$parent_id" -f value -c Name)" "$child" "project list --parent"
expect_line "$(osa project list --tags alpha -f value -c Name)" "$parent" "project list --tags alpha"
expect_no_line "$(osa project list --tags alpha -f value -c Name)" "$child" "project list --tags alpha"
ok

step "project set (name, description, tags, disable) / delete"
osa project set --name "$child-renamed" --description "renamed child" --disable "$child_id"
pj=$(osa project show "$child_id" -f json)
expect_eq "$(jqr .name <<<"$pj")" "$child-renamed" "name after set"
expect_eq "$(jqr .description <<<"$pj")" "renamed child" "description after set"
expect_eq "$(jqr .enabled <<<"$pj")" false "enabled after set --disable"
osa project set --tag gamma "$parent_id"
expect_eq "$(osa project show "$parent_id" -f json | jqr '.tags | sort | join(",")')" "alpha,beta,gamma" "tags after set --tag"
osa project set --remove-tag alpha "$parent_id"
expect_eq "$(osa project show "$parent_id" -f json | jqr '.tags | sort | join(",")')" "beta,gamma" "tags after set --remove-tag"
os_must_fail "403|400|leaf|child" --os-cloud ferrostack-admin project delete "$parent_id"
osa project delete "$child_id"
osa project delete "$parent_id"
plist=$(osa project list -f value -c ID)
expect_no_line "$plist" "$child_id" "project list after delete"
expect_no_line "$plist" "$parent_id" "project list after delete"
ok

# --- users ---------------------------------------------------------------------------------
usr=cli-user-$sfx
upw="Pw-$sfx-one"
step "user create --password / show / set / list"
usr_id=$(osa user create "$usr" --domain default --password "$upw" --email "$usr@example.org" --description "cli user" --project demo -f value -c id)
uj=$(osa user show "$usr_id" -f json)
expect_eq "$(jqr .name <<<"$uj")" "$usr" "user name"
expect_eq "$(jqr .email <<<"$uj")" "$usr@example.org" "user email"
expect_eq "$(jqr .domain_id <<<"$uj")" default "user domain_id"
expect_eq "$(jqr .default_project_id <<<"$uj")" "$demo_pid" "user default_project_id"
expect_eq "$(jqr .enabled <<<"$uj")" true "user enabled"
if jq -e 'has("password")' <<<"$uj" >/dev/null; then fail "user show exposes a password field"; fi
osa user set --email "new-$usr@example.org" --description changed "$usr_id"
uj=$(osa user show "$usr" --domain default -f json)
expect_eq "$(jqr .email <<<"$uj")" "new-$usr@example.org" "email after set"
expect_eq "$(jqr .description <<<"$uj")" changed "description after set"
expect_line "$(osa user list -f value -c Name)" "$usr" "user list"
expect_line "$(osa user list --domain default -f value -c ID)" "$usr_id" "user list --domain default"
ok

# --- groups --------------------------------------------------------------------------------
grp=cli-group-$sfx
step "group create / add user / contains user / remove user / delete"
grp_id=$(osa group create "$grp" --domain default --description "cli group" -f value -c id)
expect_eq "$(osa group show "$grp_id" -f value -c name)" "$grp" "group name"
osa group add user "$grp_id" "$usr_id"
expect_eq "$(osa group contains user "$grp_id" "$usr_id" 2>&1)" "$usr_id in group $grp_id" "group contains user"
expect_line "$(osa user list --group "$grp_id" -f value -c ID)" "$usr_id" "user list --group"
expect_line "$(osa group list --user "$usr_id" -f value -c ID)" "$grp_id" "group list --user"
osa group remove user "$grp_id" "$usr_id"
# `group contains user` prints the negative answer on stderr and exits 0.
"$OPENSTACK" --os-cloud ferrostack-admin group contains user "$grp_id" "$usr_id" >"$tmp/stdout" 2>"$tmp/stderr" || fail "group contains user failed: $(cat "$tmp/stderr")"
expect_eq "$(cat "$tmp/stdout" "$tmp/stderr")" "$usr_id not in group $grp_id" "group contains user after remove"
expect_eq "$(osa user list --group "$grp_id" -f value -c ID)" "" "user list --group after remove"
osa group delete "$grp_id"
expect_no_line "$(osa group list -f value -c ID)" "$grp_id" "group list after delete"
ok

# --- roles, assignments, implied roles -----------------------------------------------------
role=cli-role-$sfx
irole=cli-implied-$sfx
step "role create / add / role assignment list --names / remove"
role_id=$(osa role create "$role" -f value -c id)
expect_eq "$(osa role show "$role_id" -f value -c name)" "$role" "role name"
expect_line "$(osa role list -f value -c Name)" "$role" "role list"
osa role add --user "$usr_id" --project demo "$role"
ra=$(osa role assignment list --user "$usr_id" --project demo --names -f json)
expect_eq "$(jqr 'length' <<<"$ra")" 1 "assignments of the user on demo"
expect_eq "$(jqr '.[0].Role' <<<"$ra")" "$role" "assignment Role (--names)"
expect_eq "$(jqr '.[0].User' <<<"$ra")" "$usr@Default" "assignment User (--names)"
expect_eq "$(jqr '.[0].Project' <<<"$ra")" "demo@Default" "assignment Project (--names)"
ra=$(osa role assignment list --role "$role" -f value -c User -c Project)
expect_eq "$ra" "$usr_id $demo_pid" "role assignment list --role (ids)"
# The admin's own project-admin assignment from bootstrap.
expect_line "$(osa role assignment list --user admin --project admin --names -f value -c Role)" admin "admin's role on admin (--names)"
ok

step "implied role create / list / effective assignments"
irole_id=$(osa role create "$irole" -f value -c id)
ir=$(osa implied role create "$role" --implied-role "$irole" -f json)
expect_eq "$(jqr .prior_role <<<"$ir")" "$role_id" "implied role create: prior_role"
expect_eq "$(jqr .implies <<<"$ir")" "$irole_id" "implied role create: implies"
il=$(osa implied role list -f json)
expect_eq "$(jqr --arg p "$role_id" --arg i "$irole_id" '[.[] | select(."Prior Role ID" == $p and ."Implied Role ID" == $i)] | length' <<<"$il")" 1 "implied role list has $role -> $irole"
eff=$(osa role assignment list --effective --user "$usr_id" --project demo --names -f value -c Role | sort | tr '\n' ' ')
expect_eq "$eff" "$irole $role " "effective roles of the user on demo (prior + implied)"
osa implied role delete "$role" --implied-role "$irole"
il=$(osa implied role list -f json)
expect_eq "$(jqr --arg p "$role_id" '[.[] | select(."Prior Role ID" == $p)] | length' <<<"$il")" 0 "implied role list after delete"
ok

step "role remove / delete"
osa role remove --user "$usr_id" --project demo "$role"
expect_eq "$(osa role assignment list --user "$usr_id" --project demo -f value -c Role)" "" "assignments after role remove"
osa role delete "$role" "$irole"
rl=$(osa role list -f value -c Name)
expect_no_line "$rl" "$role" "role list after delete"
expect_no_line "$rl" "$irole" "role list after delete"
ok

# --- regions, services, endpoints ----------------------------------------------------------
reg=CliRegion-$sfx
svc=cli-svc-$sfx
step "region / service / endpoint create, list, delete"
expect_eq "$(osa region create "$reg" --description "cli region" -f value -c region)" "$reg" "region create"
expect_eq "$(osa region show "$reg" -f value -c description)" "cli region" "region description"
expect_line "$(osa region list -f value -c Region)" "$reg" "region list"
svc_id=$(osa service create --name "$svc" --description "cli service" cli-type-$sfx -f value -c id)
sj=$(osa service show "$svc_id" -f json)
expect_eq "$(jqr .name <<<"$sj")" "$svc" "service name"
expect_eq "$(jqr .type <<<"$sj")" "cli-type-$sfx" "service type"
expect_eq "$(jqr .enabled <<<"$sj")" true "service enabled"
expect_line "$(osa service list -f value -c ID)" "$svc_id" "service list"
ep_id=$(osa endpoint create --region "$reg" "$svc_id" public "http://example.invalid:9999/$sfx" -f value -c id)
ej=$(osa endpoint show "$ep_id" -f json)
expect_eq "$(jqr .url <<<"$ej")" "http://example.invalid:9999/$sfx" "endpoint url"
expect_eq "$(jqr .interface <<<"$ej")" public "endpoint interface"
expect_eq "$(jqr .region <<<"$ej")" "$reg" "endpoint region"
expect_eq "$(jqr .service_id <<<"$ej")" "$svc_id" "endpoint service_id"
expect_eq "$(osa endpoint list --service "$svc_id" -f value -c ID)" "$ep_id" "endpoint list --service"
expect_eq "$(osa endpoint list --region "$reg" -f value -c ID)" "$ep_id" "endpoint list --region"
# A new token's catalog carries the new endpoint.
expect_line "$(osa catalog list -f json | jqr --arg t "cli-type-$sfx" '.[] | select(.Type == $t) | .Endpoints[].url')" "http://example.invalid:9999/$sfx" "catalog has the new endpoint"
osa endpoint delete "$ep_id"
expect_eq "$(osa endpoint list --service "$svc_id" -f value -c ID)" "" "endpoint list after delete"
osa service delete "$svc_id"
expect_no_line "$(osa service list -f value -c ID)" "$svc_id" "service list after delete"
osa region delete "$reg"
expect_no_line "$(osa region list -f value -c Region)" "$reg" "region list after delete"
ok

# --- application credentials ---------------------------------------------------------------
ac=cli-appcred-$sfx
step "application credential create / authenticate with it / delete"
acj=$(osd application credential create "$ac" --description "cli appcred" -f json)
ac_id=$(jqr .ID <<<"$acj")
ac_secret=$(jqr .Secret <<<"$acj")
expect_eq "$(jqr '."Project ID"' <<<"$acj")" "$demo_pid" "application credential project_id"
expect_eq "$(jqr .Description <<<"$acj")" "cli appcred" "application credential description"
expect_line "$(jqr '.Roles[].name' <<<"$acj")" member "application credential roles"
expect_nonempty "$ac_secret" "application credential secret"
expect_line "$(osd application credential list -f value -c ID)" "$ac_id" "application credential list"
expect_eq "$(osd application credential show "$ac" -f value -c ID)" "$ac_id" "application credential show by name"
appcred_auth=(--os-auth-type v3applicationcredential --os-auth-url "$AUTH_URL"
  --os-application-credential-id "$ac_id" --os-application-credential-secret "$ac_secret"
  --os-identity-api-version 3 --os-region-name RegionOne --os-interface public)
tok=$(os "${appcred_auth[@]}" token issue -f json)
expect_eq "$(jqr .user_id <<<"$tok")" "$demo_uid" "token from application credential: user_id"
expect_eq "$(jqr .project_id <<<"$tok")" "$demo_pid" "token from application credential: project_id"
expect_eq "$(os "${appcred_auth[@]}" project show "$demo_pid" -f value -c name)" demo "project show with application credential"
os_must_fail "HTTP 401|authenticat" --os-auth-type v3applicationcredential --os-auth-url "$AUTH_URL" \
  --os-application-credential-id "$ac_id" --os-application-credential-secret "wrong-$sfx" \
  --os-identity-api-version 3 token issue
osd application credential delete "$ac_id"
expect_no_line "$(osd application credential list -f value -c ID)" "$ac_id" "application credential list after delete"
os_must_fail "HTTP 401|HTTP 404|authenticat|not found|Could not find" "${appcred_auth[@]}" token issue
ok

# --- self-service password change ----------------------------------------------------------
upw2="Pw-$sfx-two"
as_user() { # PASSWORD ARGS...: as the scenario's user, on project demo
  local pw=$1
  shift
  os --os-auth-type password --os-auth-url "$AUTH_URL" --os-username "$usr" --os-user-domain-name Default \
    --os-password "$pw" --os-project-name demo --os-project-domain-name Default \
    --os-identity-api-version 3 --os-region-name RegionOne --os-interface public "$@"
}
step "user password set (self-service) / authenticate with the new password"
osa role add --user "$usr_id" --project demo member
expect_eq "$(as_user "$upw" token issue -f value -c user_id)" "$usr_id" "token with the original password"
as_user "$upw" user password set --original-password "$upw" --password "$upw2"
expect_eq "$(as_user "$upw2" token issue -f value -c user_id)" "$usr_id" "token with the new password"
os_must_fail "HTTP 401|authenticat" --os-auth-type password --os-auth-url "$AUTH_URL" --os-username "$usr" \
  --os-user-domain-name Default --os-password "$upw" --os-project-name demo --os-project-domain-name Default \
  --os-identity-api-version 3 token issue
# Leave the account usable (the failed attempt above counts towards lockout).
expect_eq "$(as_user "$upw2" token issue -f value -c user_id)" "$usr_id" "token with the new password again"
ok

# --- trusts (OS-TRUST): exercised only when the cloud has the API ---------------------------
step "trust create / show / list / trust-scoped token / delete"
trust_probe=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $(osd token issue -f value -c id)" "$AUTH_URL/v3/OS-TRUST/trusts?trustor_user_id=$demo_uid")
if [ "$trust_probe" = 404 ]; then
  skip "OS-TRUST is not implemented in Ferrostack yet (GET /v3/OS-TRUST/trusts answers 404); not exercised"
else
  # demo (trustor) delegates its member role on project demo to the scenario's user. IDs,
  # not names: as a non-admin the CLI cannot look names up and would send the name.
  member_id=$(osa role show member -f value -c id)
  tj=$(osd trust create --project "$demo_pid" --role "$member_id" "$demo_uid" "$usr_id" -f json)
  trust_id=$(jqr .id <<<"$tj")
  expect_nonempty "$trust_id" "trust id"
  tj=$(osd trust show "$trust_id" -f json)
  expect_eq "$(jqr .trustor_user_id <<<"$tj")" "$demo_uid" "trust trustor_user_id"
  expect_eq "$(jqr .trustee_user_id <<<"$tj")" "$usr_id" "trust trustee_user_id"
  expect_eq "$(jqr .project_id <<<"$tj")" "$demo_pid" "trust project_id"
  expect_eq "$(jqr .is_impersonation <<<"$tj")" false "trust impersonation"
  expect_eq "$(jqr '[.roles[].name] | join(",")' <<<"$tj")" member "trust roles"
  # (A bare `trust list` sends trustor_user_id=None, which only an admin may do.)
  expect_line "$(osd trust list --trustor "$demo_uid" -f value -c ID)" "$trust_id" "trust list --trustor (as trustor)"
  expect_line "$(osa trust list -f value -c ID)" "$trust_id" "trust list (admin)"
  tok=$(os --os-auth-type password --os-auth-url "$AUTH_URL" --os-username "$usr" --os-user-domain-name Default \
    --os-password "$upw2" --os-trust-id "$trust_id" --os-identity-api-version 3 --os-region-name RegionOne \
    --os-interface public token issue -f json)
  expect_eq "$(jqr .user_id <<<"$tok")" "$usr_id" "trust-scoped token: user_id (trustee, no impersonation)"
  expect_eq "$(jqr .project_id <<<"$tok")" "$demo_pid" "trust-scoped token: project_id"
  osd trust delete "$trust_id"
  expect_no_line "$(osd trust list --trustor "$demo_uid" -f value -c ID)" "$trust_id" "trust list after delete"
  os_must_fail "No trust (found|with)|Could not find trust|HTTP 404|Not ?Found" --os-cloud ferrostack-admin trust show "$trust_id"
  ok
fi

step "image create --file / list / show / set / unset / save / delete"
head -c 3000000 /dev/urandom > "$tmp/image.raw"
ij=$(osa image create --file "$tmp/image.raw" --disk-format raw --container-format bare --property os_distro=cirros "img-$sfx" -f json)
img_id=$(jqr .id <<<"$ij")
expect_eq "$(jqr .status <<<"$ij")" active "image status after create --file"
expect_eq "$(jqr .size <<<"$ij")" 3000000 "image size"
expect_eq "$(jqr .checksum <<<"$ij")" "$(md5sum "$tmp/image.raw" | cut -d' ' -f1)" "image checksum (md5)"
expect_line "$(osa image list -f value -c ID)" "$img_id" "image list"
osa image set --property hw_disk_bus=virtio --min-ram 64 --tag smoke "img-$sfx"
ij=$(osa image show "img-$sfx" -f json)
expect_eq "$(jqr .min_ram <<<"$ij")" 64 "image min_ram after set"
expect_eq "$(jqr .properties.hw_disk_bus <<<"$ij")" virtio "image property after set"
expect_eq "$(jqr '.tags | join(",")' <<<"$ij")" smoke "image tags after set"
osa image unset --property hw_disk_bus "img-$sfx"
expect_eq "$(jqr '.properties.hw_disk_bus // "unset"' <<<"$(osa image show "img-$sfx" -f json)")" unset "image property after unset"
osa image save --file "$tmp/image.back" "img-$sfx"
cmp -s "$tmp/image.raw" "$tmp/image.back" || fail "image save: the data differs from what was uploaded"
osa image delete "img-$sfx"
expect_no_line "$(osa image list -f value -c ID)" "$img_id" "image list after delete"
os_must_fail "No Image found|Could not find|HTTP 404|Not ?Found" --os-cloud ferrostack-admin image show "$img_id"
ok

step "image add project / image member list / image set --accept / image remove project"
shared_id=$(osa image create --disk-format raw --container-format bare "shared-$sfx" -f value -c id)
osa image add project "$shared_id" demo >/dev/null
expect_eq "$(osa image member list "$shared_id" -f value -c Status)" pending "member status after image add project"
expect_no_line "$(osd image list -f value -c ID)" "$shared_id" "the member's image list while the share is pending"
osd image set --accept "$shared_id"
expect_eq "$(osa image member list "$shared_id" -f value -c Status)" accepted "member status after image set --accept"
expect_line "$(osd image list -f value -c ID)" "$shared_id" "the member's image list after accepting"
osa image remove project "$shared_id" demo
expect_no_line "$(osd image list -f value -c ID)" "$shared_id" "the member's image list after image remove project"
osa image delete "$shared_id"
ok

step "resource provider create / inventory set / trait set / allocation candidate list / allocation set / usage show / delete"
pl=(--os-cloud ferrostack-admin --os-placement-api-version 1.39)
rp_id=$(os "${pl[@]}" resource provider create "rp-$sfx" -f value -c uuid)
os "${pl[@]}" resource provider inventory set "$rp_id" --resource VCPU=8 --resource VCPU:allocation_ratio=4.0 --resource MEMORY_MB=4096 >/dev/null
expect_eq "$(os "${pl[@]}" resource provider inventory show "$rp_id" VCPU -f value -c allocation_ratio)" 4.0 "VCPU allocation ratio"
trait="CUSTOM_CLI_$(tr 'a-z' 'A-Z' <<<"$sfx")"
os "${pl[@]}" trait create "$trait"
os "${pl[@]}" resource provider trait set --trait "$trait" "$rp_id" >/dev/null
expect_line "$(os "${pl[@]}" allocation candidate list --resource VCPU=2 --required "$trait" -f value -c 'resource provider')" "$rp_id" \
  "allocation candidates with the trait"
expect_no_line "$(os "${pl[@]}" allocation candidate list --resource VCPU=33 --required "$trait" -f value -c 'resource provider')" "$rp_id" \
  "allocation candidates beyond 8 VCPU x 4.0"
consumer=$("$PYTHON" -c 'import uuid; print(uuid.uuid4())')
os "${pl[@]}" resource provider allocation set "$consumer" --allocation "rp=$rp_id,VCPU=2,MEMORY_MB=512" \
  --project-id "$(osa token issue -f value -c project_id)" --user-id "$(osa token issue -f value -c user_id)" --consumer-type INSTANCE >/dev/null
expect_eq "$(os "${pl[@]}" resource provider usage show "$rp_id" -f json | jqr '.[] | select(.resource_class == "VCPU") | .usage')" 2 \
  "VCPU usage after allocation set"
os_must_fail "in use|HTTP 409|Conflict" "${pl[@]}" resource provider delete "$rp_id"
os "${pl[@]}" resource provider allocation delete "$consumer"
os "${pl[@]}" resource provider trait delete "$rp_id"
os "${pl[@]}" trait delete "$trait"
os "${pl[@]}" resource provider delete "$rp_id"
expect_no_line "$(os "${pl[@]}" resource provider list -f value -c uuid)" "$rp_id" "resource provider list after delete"
ok

step "flavor list / create --private --property / set --project / show / delete"
expect_line "$(osd flavor list -f value -c Name)" "m1.tiny" "the default flavors"
fl="flavor-$sfx"
osa flavor create --ram 128 --disk 1 --vcpus 1 --private --property hw:cpu_policy=dedicated --description "cli $sfx" "$fl" >/dev/null
expect_eq "$(osa --os-compute-api-version 2.61 flavor show "$fl" -f json | jqr '.properties["hw:cpu_policy"]')" dedicated "flavor property"
expect_no_line "$(osd flavor list -f value -c Name)" "$fl" "a private flavor before it is shared"
osa flavor set --project demo "$fl"
expect_line "$(osd flavor list -f value -c Name)" "$fl" "a private flavor shared with demo"
os_must_fail "HTTP 403|Policy doesn't allow" --os-cloud ferrostack flavor delete "$fl"
osa flavor delete "$fl"
os_must_fail "No Flavor found|could not be found|HTTP 404" --os-cloud ferrostack-admin flavor show "$fl"
ok

step "keypair create / create --public-key / list / show / delete"
# The key and its MD5 fingerprint come from the venv's cryptography (no ssh-keygen needed).
"$PYTHON" - "$tmp/key.pub" >"$tmp/key.md5" <<'PY'
import base64, hashlib, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
public = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
open(sys.argv[1], "wb").write(public + b" cli@test\n")
digest = hashlib.md5(base64.b64decode(public.split()[1])).hexdigest()
print(":".join(digest[i:i + 2] for i in range(0, 32, 2)))
PY
osd keypair create --public-key "$tmp/key.pub" "key-$sfx" >/dev/null
expect_eq "$(osd keypair show "key-$sfx" -f value -c fingerprint)" "$(cat "$tmp/key.md5")" "fingerprint of the imported key"
osd keypair create "gen-$sfx" >"$tmp/generated"
expect_match "$(head -1 "$tmp/generated")" "BEGIN .*PRIVATE KEY" "the generated private key"
expect_line "$(osd keypair list -f value -c Name)" "gen-$sfx" "keypair list"
expect_no_line "$(osa keypair list -f value -c Name)" "key-$sfx" "another user's key pairs"
osd keypair delete "key-$sfx" "gen-$sfx"
expect_no_line "$(osd keypair list -f value -c Name)" "key-$sfx" "keypair list after delete"
ok

step "compute service list / set --disable / hypervisor list / availability zone list"
# sed, not head: head would close the pipe early and pipefail would see SIGPIPE.
chost=$(osa compute service list --service nova-compute -f value -c Host | sed -n 1p)
expect_nonempty "$chost" "a compute host"
expect_line "$(osa hypervisor list -f value -c 'Hypervisor Hostname')" "$chost" "hypervisor list"
expect_eq "$(osa hypervisor list -f json | jqr --arg h "$chost" '.[] | select(."Hypervisor Hostname" == $h) | .State')" up "hypervisor state"
osa compute service set --disable --disable-reason "cli $sfx" "$chost" nova-compute
expect_eq "$(osa compute service list --service nova-compute --host "$chost" -f value -c Status)" disabled "service status after --disable"
osa compute service set --enable "$chost" nova-compute
expect_eq "$(osa compute service list --service nova-compute --host "$chost" -f value -c Status)" enabled "service status after --enable"
expect_line "$(osd availability zone list -f value -c 'Zone Name')" "nova" "availability zone list"
ok

step "aggregate create --zone / add host / set --property / show / hypervisor show / remove host / delete"
agg="agg-$sfx"
osa aggregate create --zone "az-$sfx" "$agg" >/dev/null
osa aggregate add host "$agg" "$chost" >/dev/null
osa aggregate set --property "ssd=true" "$agg"
expect_eq "$(osa aggregate show "$agg" -f json | jqr '.properties.ssd')" true "aggregate property"
expect_eq "$(osa aggregate show "$agg" -f json | jqr '.hosts[0]')" "$chost" "aggregate hosts"
expect_eq "$(osa compute service list --service nova-compute --host "$chost" -f value -c Zone)" "az-$sfx" "the host's zone"
expect_eq "$(osa hypervisor show "$chost" -f json | jqr '.aggregates[0]')" "$agg" "hypervisor show lists its aggregate"
os_must_fail "not empty|HTTP 400" --os-cloud ferrostack-admin aggregate delete "$agg"
osa aggregate remove host "$agg" "$chost" >/dev/null
osa aggregate delete "$agg"
expect_no_line "$(osa aggregate list -f value -c Name)" "$agg" "aggregate list after delete"
ok

step "quota show / quota set --ram / limits show --absolute / quota delete"
dproj=$(osd token issue -f value -c project_id)
expect_eq "$(osd quota show "$dproj" -f json | jqr '.[] | select(.Resource == "instances") | .Limit')" 10 "default instances quota"
osa quota set --ram 4096 --key-pairs 50 "$dproj"
expect_eq "$(osd quota show "$dproj" -f json | jqr '.[] | select(.Resource == "ram") | .Limit')" 4096 "ram quota after set"
expect_eq "$(osd limits show --absolute -f json | jqr '.[] | select(.Name == "keypairs") | .Value')" 50 "key pair limit"
os_must_fail "HTTP 403|Policy doesn't allow" --os-cloud ferrostack quota set --ram 1 "$dproj"
osa quota delete --compute "$dproj"
expect_eq "$(osd quota show "$dproj" -f json | jqr '.[] | select(.Resource == "ram") | .Limit')" 51200 "ram quota after delete"
ok

step "server group create --policy / list / show / delete"
sg="group-$sfx"
osd server group create --policy anti-affinity "$sg" >/dev/null
expect_line "$(osd server group list -f value -c Name)" "$sg" "server group list"
expect_eq "$(osd server group show "$sg" -f value -c policy)" anti-affinity "server group policy"
osd server group delete "$sg"
expect_no_line "$(osd server group list -f value -c Name)" "$sg" "server group list after delete"
ok

step "server create --no-network --wait / list / stop / start / reboot / pause / suspend / lock / image create / shelve / unshelve / delete"
simg=$(osa image create --file "$tmp/image.raw" --disk-format raw --container-format bare --public "server-img-$sfx" -f value -c id)
srv="vm-$sfx"
expect_eq "$(osd server create --flavor m1.tiny --image "$simg" --no-network --wait "$srv" -f value -c status)" ACTIVE "status after create --wait"
expect_line "$(osd server list -f value -c Name)" "$srv" "server list"
expect_eq "$(osd server list --status ACTIVE --name "^vm-$sfx\$" -f value -c Name)" "$srv" "server list --status --name"
osd server stop "$srv"
wait_status "$srv" SHUTOFF
os_must_fail "Cannot 'stop' instance .* while it is in vm_state stopped|HTTP 409" --os-cloud ferrostack server stop "$srv"
osd server start "$srv"
wait_status "$srv" ACTIVE
osd server reboot --hard --wait "$srv" >/dev/null
osd server pause "$srv"
wait_status "$srv" PAUSED
osd server unpause "$srv"
wait_status "$srv" ACTIVE
osd server suspend "$srv"
wait_status "$srv" SUSPENDED
osd server resume "$srv"
wait_status "$srv" ACTIVE
osd server lock --reason "cli $sfx" "$srv"
expect_eq "$(osd server show "$srv" -f json | jqr .locked_reason)" "cli $sfx" "locked reason"
os_must_fail "is locked|HTTP 409" --os-cloud ferrostack server stop "$srv"
osd server unlock "$srv"
osd server set --property role=cli --tag "t-$sfx" "$srv"
expect_eq "$(osd server show "$srv" -f json | jqr .properties.role)" cli "server property"
expect_line "$(osd server event list "$srv" -f value -c Action)" pause "server event list"
osd server image create --name "snap-$sfx" --wait "$srv" >/dev/null
expect_eq "$(osd image show "snap-$sfx" -f json | jqr '.status + " " + .properties.image_type')" "active snapshot" "snapshot image"
osd image delete "snap-$sfx"
osd server shelve "$srv"
wait_status "$srv" SHELVED_OFFLOADED
osd server unshelve "$srv"
wait_status "$srv" ACTIVE
os_must_fail "not implemented|HTTP 501" --os-cloud ferrostack server migrate "$srv"
osd server delete --wait "$srv"
expect_no_line "$(osd server list -f value -c Name)" "$srv" "server list after delete"
osa image delete "$simg"
ok

step "user delete"
osa user delete "$usr_id"
expect_no_line "$(osa user list -f value -c ID)" "$usr_id" "user list after delete"
os_must_fail "No user (found|with)|Could not find user|HTTP 404" --os-cloud ferrostack-admin user show "$usr_id"
ok

echo "CLI scenario passed: $STEPS_OK steps ok, $SKIPS skipped, $(($(date +%s) - t_start)) s"
