import type { ParamSpec } from '@bulwark/api';

export const MAX_NAME_LENGTH = 1024;

/**
 * A secret name: 1..1024 printable ASCII characters, as in Taskcluster, read as
 * `/`-separated segments that may not be empty, `.` or `..` (S12). Names are
 * scope suffixes (`secrets:get:<name>`) and path-like keys that other tools join,
 * split and normalize; a segment that is empty or a dot segment would let
 * `a//b`, `a/./b` or `a/../b` alias another name, or step outside a prefix such
 * as `project/x/*` once something normalizes the path. Control characters are
 * outside the printable range.
 *
 * Checked as the route parameter's pattern, so a bad name is refused with 400
 * before authentication, authorization or any lookup.
 */
export const SECRET_NAME = new RegExp(
  [
    '^',
    '(?!/)', // no empty first segment
    '(?!.*/$)', // no empty last segment
    '(?!.*//)', // no empty segment inside
    '(?!(?:.*/)?\\.{1,2}(?:/|$))', // no `.` or `..` segment
    `[\\x20-\\x7e]{1,${MAX_NAME_LENGTH}}`,
    '$',
  ].join(''),
);

export const secretNameParam: ParamSpec = { pattern: SECRET_NAME, maxLength: MAX_NAME_LENGTH };
