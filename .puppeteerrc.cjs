/** The tests' terminal server (desktop-commander) depends on puppeteer; Bastion needs no browser: never download one. */
module.exports = { skipDownload: true };
