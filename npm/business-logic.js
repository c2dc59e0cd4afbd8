// Business logic's calls of the official client's UserService: verifyPassword, findByRole,
// assignRole, unassignRole, enableUser, disableUser, updateUserStatus. The server answers them
// under the CloudCode (Code Runner) API key only; under an app's browser key they fail (3122,
// 2011, 3054), and that key must never be in a page. So they are in the Node entries only
// (node.js, node.cjs, server.js: CloudCode, servers, route handlers), over a wasm built with the
// feature `business-logic` (src/js/business_logic.rs); the browser entries do not carry their
// bytes (what they would cost is in BENCHMARKS.md, "What each member costs").
//
// `addBusinessLogic(Backendless, wasm)` adds them to that Backendless's UserService, in place, so
// the object initApp answers (standalone instances too) has them.

import { filled, identity, withCallbacks } from "./api.js";

/**
 * The query string of a data query as the official client writes it (DataQueryBuilder's
 * toQueryString): a builder (anything with toJSON) or a plain object with pageSize, offset,
 * properties, excludeProps, where, having, sortBy, groupBy, relations, relationsDepth,
 * relationsPageSize, distinct, fileReferencePrefix.
 */
export function queryString(query) {
  const q = typeof query.toJSON == "function" ? query.toJSON() : query;
  const list = (items) => items.map(encodeURIComponent).join(",");
  const text = (value) => (Array.isArray(value) ? list(value) : encodeURIComponent(value));
  const parts = [];
  const add = (name, value) => parts.push(`${name}=${value}`);
  if (q.pageSize > 0) add("pageSize", q.pageSize);
  if (q.offset > 0) add("offset", q.offset);
  if (Array.isArray(q.properties)) for (const property of q.properties) add("property", encodeURIComponent(property));
  if (Array.isArray(q.excludeProps) && q.excludeProps.length) add("excludeProps", list(q.excludeProps));
  if (q.where) add("where", encodeURIComponent(q.where));
  if (q.having) add("having", encodeURIComponent(q.having));
  if (q.sortBy) add("sortBy", text(q.sortBy));
  if (q.groupBy) add("groupBy", text(q.groupBy));
  if (Array.isArray(q.relations)) add("loadRelations", q.relations.length ? list(q.relations) : "*");
  if (q.relationsDepth > 0) add("relationsDepth", q.relationsDepth);
  if (q.relationsPageSize > 0) add("relationsPageSize", q.relationsPageSize);
  if (q.distinct) add("distinct", q.distinct);
  if (q.fileReferencePrefix) add("fileReferencePrefix", encodeURIComponent(q.fileReferencePrefix));
  return parts.join("&");
}

export function addBusinessLogic(Backendless, wasm) {
  const { VerifyPassword, UsersByRole, AssignRole, UnassignRole, UserStatus } = wasm.BusinessCall;
  const call = (which, segment, body, options) => wasm.businessCall(which, segment, body, options);
  const refuse = (message) => Promise.reject(wasm.jsError(message, "TypeError", null, null, null));

  /** verifyPassword(currentPassword): whether it is the logged-in user's password. */
  function verifyPassword(password, options) {
    if (!filled(password)) return refuse("verifyPassword: the password must be a non-empty string");
    if (!Backendless.getCurrentUserToken()) return refuse("verifyPassword: no user is logged in");
    return call(VerifyPassword, "", { password }, options).then((answer) => !!answer?.valid);
  }

  /** findByRole(roleName, loadRoles?, query?): the users having that role, as Backendless.User. */
  function findByRole(roleName, loadRoles, query, options) {
    if (!filled(roleName)) return refuse("findByRole: roleName must be a non-empty string");
    if (loadRoles != null && typeof loadRoles != "boolean") return refuse("findByRole: loadRoles must be a boolean");
    if (query != null && (typeof query != "object" || Array.isArray(query))) return refuse("findByRole: query must be an object");
    const parts = typeof loadRoles == "boolean" ? [`loadRoles=${loadRoles}`] : [];
    if (query) parts.push(queryString(query));
    return call(UsersByRole, roleName, parts.join("&") || undefined, options).then((users) =>
      Array.isArray(users) ? users.map((user) => new Backendless.User(user)) : users);
  }

  const changeRole = (which, name) => (user, roleName, options) => {
    if (!identity(user)) return refuse(`${name}: the identity must be a non-empty string or a number`);
    if (!filled(roleName)) return refuse(`${name}: roleName must be a non-empty string`);
    return call(which, "", { user, roleName }, options);
  };

  /** updateUserStatus(userId, userStatus): "ENABLED" or "DISABLED" (the server checks). */
  function updateUserStatus(userId, userStatus, options) {
    const id = identity(userId);
    if (!id) return refuse("updateUserStatus: userId must be a non-empty string or a number");
    if (!filled(userStatus)) return refuse("updateUserStatus: userStatus must be a non-empty string");
    return call(UserStatus, id, { userStatus }, options);
  }

  const members = {
    verifyPassword,
    findByRole,
    assignRole: changeRole(AssignRole, "assignRole"),
    unassignRole: changeRole(UnassignRole, "unassignRole"),
    enableUser: (userId, options) => updateUserStatus(userId, "ENABLED", options),
    disableUser: (userId, options) => updateUserStatus(userId, "DISABLED", options),
    updateUserStatus,
  };
  const descriptors = Object.getOwnPropertyDescriptors(Backendless.UserService);
  for (const name in members) descriptors[name] = { value: withCallbacks(Backendless.Async, members[name]), enumerable: true };
  Backendless.UserService = Object.freeze(Object.defineProperties({}, descriptors));
  return Backendless;
}
