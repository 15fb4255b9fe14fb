/**
 * Every built-in detector, one per rule class, in the order of RULE_CLASSES (the classes most
 * often attacked first, so a block-mode scan usually stops at the first detector that hits).
 */
import type { Detector } from '../detector.js';
import { cmdi } from './cmdi.js';
import { crlf } from './crlf.js';
import { ldapi } from './ldapi.js';
import { nosqli } from './nosqli.js';
import { pathTraversal } from './path-traversal.js';
import { sqli } from './sqli.js';
import { ssti } from './ssti.js';
import { xss } from './xss.js';

/**
 * The built-in detectors.
 *
 * @example
 * ```ts
 * const hits = DETECTORS.map((d) => d.detect(value, 1, 'query'));
 * ```
 */
export const DETECTORS: readonly Detector[] = Object.freeze([sqli, xss, pathTraversal, cmdi, ssti, nosqli, crlf, ldapi]);
