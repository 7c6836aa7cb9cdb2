// Validate an OpenRPC document (stdin) against the OpenRPC meta-schema with
// @open-rpc/schema-utils-js; for tests/unit/volmgr-openrpc.sh. Prints
// "valid" and exits 0, or the validator's errors and exits 1.
const { validateOpenRPCDocument } = require("@open-rpc/schema-utils-js");
const doc = JSON.parse(require("fs").readFileSync(0, "utf8"));
Promise.resolve(validateOpenRPCDocument(doc)).then((r) => {
	if (r === true) {
		console.log("valid");
		process.exit(0);
	}
	console.log(String(r && r.message ? r.message : JSON.stringify(r)).slice(0, 2000));
	process.exit(1);
}, (e) => {
	console.log(String(e).slice(0, 2000));
	process.exit(1);
});
