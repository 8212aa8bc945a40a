/**
 * A JSON value, as the VTpass look-alike renders its answers. Its own module
 * so the catalogue and the model can both use it without importing each
 * other.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
