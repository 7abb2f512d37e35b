const { jestConfig } = require("@salesforce/sfdx-lwc-jest/config");

module.exports = { ...jestConfig, testEnvironment: "jsdom", modulePathIgnorePatterns: ["<rootDir>/.localdevserver"] };
