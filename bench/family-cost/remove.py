#!/usr/bin/env python3
"""remove.py REPO CALL: removes one login-family call (its JS wrapper and its wasm variant) or
setPersistence from a checkout, to measure its marginal size. Calls: Roles Update
ResendConfirmation OAuthLogin AuthorizationUrl Adopt Persistence."""
import re, sys
repo, call = sys.argv[1], sys.argv[2]
JS = {
    "Roles": "getUserRoles", "Update": "update", "ResendConfirmation": "resendEmailConfirmation",
    "OAuthLogin": "loginWithOauth2", "AuthorizationUrl": "getAuthorizationUrlLink", "Adopt": "completeOAuthRedirect",
}
def edit(path, fn):
    p = f"{repo}/{path}"; s = open(p).read(); t = fn(s)
    if t == s: raise SystemExit(f"{path}: nothing changed for {call}")
    open(p, "w").write(t)

def drop_js_function(s, name):
    # `function name(` … up to the next blank line at the same indent, or `const name = …;` block
    m = re.search(r"\n(  /\*\*(?:(?!\*/).)*\*/\n)?  (?:async )?function %s\(.*?\n  \}\n" % name, s, re.S)
    if not m:
        m = re.search(r"\n(  /\*\*(?:(?!\*/).)*\*/\n)?  const %s = .*?;\n" % name, s, re.S)
    if not m: raise SystemExit(f"api.js: {name} not found")
    return s[:m.start()] + "\n" + s[m.end():]

if call == "Persistence":
    def js(s):
        return re.sub(r"\n    /\*\* Where the session lives[^\n]*\n    setPersistence\(persistence\) \{.*?\n    \},", "", s, flags=re.S)
    edit("npm/api.js", js)
    for entry in ["npm/index.js", "npm/server.js"]:
        edit(entry, lambda s: s.replace(" setPersistence,", ""))
    def rs(s):
        return re.sub(r"\n(///[^\n]*\n)*#\[wasm_bindgen\(js_name = setPersistence\)\]\npub fn set_persistence.*?\n}\n", "\n", s, flags=re.S)
    edit("src/js/backendless.rs", rs)
else:
    name = JS[call]
    def js(s):
        s = drop_js_function(s, name)
        s = re.sub(r"\n    %s: callbacks\(%s\),?" % (name, name), "", s)
        lines = s.split("\n")
        for i, line in enumerate(lines):
            if line.endswith("= wasm.UserCall;"):
                names = line[line.index("{") + 1:line.index("}")].split(",")
                kept = [n.strip() for n in names if n.strip() != call]
                lines[i] = line[:line.index("{")] + "{ " + ", ".join(kept) + " }" + line[line.index("}") + 1:]
        return "\n".join(lines)
    edit("npm/api.js", js)
    def rs(s):
        s = re.sub(r"(?:\n    ///[^\n]*)+\n    %s = \d+," % call, "", s)
        s = re.sub(r"\n *Kind::Family\(UserCall::%s\) => [^\n]*" % call, "", s)
        s = s.replace(f" | Kind::Family(UserCall::{call})", "")
        s = s.replace(f"Kind::Family(UserCall::OAuthLogin | UserCall::Adopt)", "Kind::Family(UserCall::Adopt)" if call == "OAuthLogin" else "Kind::Family(UserCall::OAuthLogin)")
        s = s.replace(f"UserCall::{call} | ", "").replace(f" | UserCall::{call}", "")
        if call == "Adopt":
            s = re.sub(r"\n        \(Kind::Family\(UserCall::Adopt\), Some\(adopted\)\) => \{.*?\n        \}", "", s, flags=re.S)
            s = s.replace("(call == UserCall::Adopt).then(|| body.as_string()).flatten()", "None")
        return s
    edit("src/js/user_service.rs", rs)
