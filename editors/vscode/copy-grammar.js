// The TextMate grammar lives once, in editors/policy.tmLanguage.json (other editors read
// it there); packaging copies it into the extension.
const fs = require("fs");
const path = require("path");

fs.mkdirSync(path.join(__dirname, "syntaxes"), { recursive: true });
fs.copyFileSync(path.join(__dirname, "..", "policy.tmLanguage.json"),
                path.join(__dirname, "syntaxes", "policy.tmLanguage.json"));
