#!/usr/bin/env python3
"""remove_family.py REPO: after remove.py has removed all six calls, removes what they shared: the
userCall export, the UserCall enum, Kind::Family and the entry module's UserCall names."""
import re, sys
repo = sys.argv[1]
p = f"{repo}/src/js/user_service.rs"; s = open(p).read()
s = re.sub(r"\n    /// A call of the login family beyond the password.*?\n    Family\(UserCall\),", "", s, flags=re.S)
s = re.sub(r"\n\s*\| Kind::Family\(UserCall::[A-Za-z]+\)", "", s)
s = re.sub(r"\n        // Roles and the authorization URL: the answer itself.\n        \(Kind::Family\(_\), _\) => answer,", "", s)
s = re.sub(r"\n/// The calls that \[`user_call`\] serves.*?\n}\n", "\n", s, flags=re.S)
s = re.sub(r"\n/// One export for the login family beyond the password.*?\n    start\(op, &options\)\n}\n", "\n", s, flags=re.S)
open(p, "w").write(s)
p = f"{repo}/npm/api.js"; s = open(p).read()
s = re.sub(r"\n  const \{[^}]*\} = wasm\.UserCall;", "", s)
open(p, "w").write(s)
p = f"{repo}/npm/server.js"; s = open(p).read()
s = s.replace("const { CacheOp, UserCall, Persistence }", "const { CacheOp, Persistence }").replace("  UserCall,\n", "")
open(p, "w").write(s)
