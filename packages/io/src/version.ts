/** The @titok/io version, recorded in the files it writes (kept in step with package.json). */
export const IO_VERSION = '0.1.0';
