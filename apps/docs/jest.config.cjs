// The docs tests drive the built site in Chromium (see tests/); the site must be built first
// (turbo runs @titok/docs#build before @titok/docs#test).
module.exports = {
  ...require('../../jest.preset.cjs'),
  testMatch: ['<rootDir>/tests/**/*.test.ts'],
  testTimeout: 300000,
};
