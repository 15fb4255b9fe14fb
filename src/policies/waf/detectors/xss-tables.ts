/**
 * Name tables of the XSS detector: which tags, attributes, URL schemes, data: media types and
 * JavaScript names make markup or script executable. Lower-case keys (HTML names are
 * case-insensitive); JavaScript names keep their case (JavaScript is case-sensitive, so `ALERT(1)`
 * is prose, not code). Built once at import; lookups only afterwards.
 */

/** What a tag name means to the detector. */
export const TagKind = {
  /** Not listed: ordinary or unknown markup. */
  none: 0,
  /** `<script>`: runs code by itself. */
  script: 1,
  /**
   * Loads or runs active content, changes the document's base or policy, or starts foreign
   * (SVG/MathML) parsing. Bare (`<link>` as a placeholder in prose) it is dangerous only among other
   * markup.
   */
  dangerous: 2,
  /** Harmless unless it carries a given attribute (`<form action>`). */
  form: 3,
  /** Common formatting markup (a paranoia-2 signal only with attributes is not raised for these). */
  common: 4,
} as const;

/** One of {@link TagKind}'s values. */
export type TagKindValue = (typeof TagKind)[keyof typeof TagKind];

const DANGEROUS_TAGS = [
  'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'base', 'link', 'meta', 'style', 'svg',
  'math', 'template', 'isindex', 'xml', 'import', 'comment', 'handler', 'listener', 'vmlframe', 'noscript',
  'xss', 'portal', 'bgsound', 'layer', 'ilayer', 'xsl:stylesheet', 'xsl:template',
];

const COMMON_TAGS = [
  'a', 'abbr', 'address', 'article', 'aside', 'b', 'bdi', 'bdo', 'big', 'blockquote', 'br', 'caption',
  'center', 'cite', 'code', 'col', 'colgroup', 'dd', 'del', 'details', 'dfn', 'div', 'dl', 'dt', 'em',
  'figcaption', 'figure', 'font', 'footer', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'i',
  'img', 'ins', 'kbd', 'label', 'legend', 'li', 'main', 'mark', 'nav', 'ol', 'p', 'pre', 'q', 's',
  'samp', 'section', 'small', 'span', 'strike', 'strong', 'sub', 'summary', 'sup', 'table', 'tbody',
  'td', 'tfoot', 'th', 'thead', 'time', 'tr', 'tt', 'u', 'ul', 'var', 'wbr',
];

/** Tag name (lower case, no namespace prefix) → kind. */
export const TAGS: ReadonlyMap<string, TagKindValue> = new Map<string, TagKindValue>([
  ['script', TagKind.script],
  ['form', TagKind.form],
  ...DANGEROUS_TAGS.map((t) => [t, TagKind.dangerous] as const),
  ...COMMON_TAGS.map((t) => [t, TagKind.common] as const),
]);

/** Tag names that also count when followed by a separator a browser would not accept (`<script\x20…`). */
export const PREFIX_TAGS: readonly string[] = ['script', 'iframe', 'svg', 'object', 'embed', 'math', 'meta', 'style', 'base'];

/** What an attribute name means to the detector. */
export const AttrKind = {
  none: 0,
  /** Takes a URL: checked for script schemes. */
  url: 1,
  /** CSS: checked for expression(), script URLs, bindings. */
  style: 2,
  /** A whole HTML document (`srcdoc`): scanned as markup. */
  html: 3,
  /** Names another attribute in its value (SVG `attributeName`). */
  indirect: 4,
  /** Executes or binds data by itself (IE `datasrc`, `dataformatas`). */
  black: 5,
  /** `action` (dangerous on `<form>`, a URL elsewhere). */
  action: 6,
  /** Namespace declarations and XLink attributes (paranoia 2). */
  namespace: 7,
} as const;

/** One of {@link AttrKind}'s values. */
export type AttrKindValue = (typeof AttrKind)[keyof typeof AttrKind];

const URL_ATTRS = [
  'href', 'src', 'formaction', 'data', 'xlink:href', 'background', 'poster', 'lowsrc', 'dynsrc',
  'codebase', 'archive', 'classid', 'cite', 'longdesc', 'usemap', 'profile', 'manifest', 'icon', 'ping',
  'folder', 'from', 'to', 'by', 'values', 'handler', 'xml:base', 'srcset', 'imagesrcset', 'code', 'filter',
];

/** URL attributes that only load an image, where an SVG document's script does not run. */
export const IMAGE_ATTRS: ReadonlySet<string> = new Set(['src', 'srcset', 'lowsrc', 'dynsrc', 'poster', 'background', 'imagesrcset']);

/** Attribute name (lower case) → kind. Event handlers (`on…`) are recognised by shape, not listed here. */
export const ATTRS: ReadonlyMap<string, AttrKindValue> = new Map<string, AttrKindValue>([
  ...URL_ATTRS.map((a) => [a, AttrKind.url] as const),
  ['action', AttrKind.action],
  ['style', AttrKind.style],
  ['srcdoc', AttrKind.html],
  ['attributename', AttrKind.indirect],
  ['datasrc', AttrKind.black],
  ['dataformatas', AttrKind.black],
  ['xmlns', AttrKind.namespace],
]);

/**
 * Event-handler content attributes (without the `on`), from the HTML standard's
 * GlobalEventHandlers / WindowEventHandlers / DocumentAndElementEventHandlers, SVG animation
 * events and legacy IE/Gecko/WebKit handlers. Inside a real tag any `on` + letters counts; this
 * list is what an injected attribute list must match (where a word like `online` is prose).
 */
const EVENTS = [
  'abort', 'activate', 'afterprint', 'afterscriptexecute', 'afterupdate', 'animationcancel', 'animationend',
  'animationiteration', 'animationstart', 'auxclick', 'beforeactivate', 'beforecopy', 'beforecut',
  'beforedeactivate', 'beforeeditfocus', 'beforeinput', 'beforematch', 'beforepaste', 'beforeprint',
  'beforescriptexecute', 'beforetoggle', 'beforeunload', 'beforeupdate', 'begin', 'blur', 'bounce', 'cancel',
  'canplay', 'canplaythrough', 'cellchange', 'change', 'click', 'close', 'contentvisibilityautostatechange',
  'contextlost', 'contextmenu', 'contextrestored', 'controlselect', 'copy', 'cuechange', 'cut',
  'dataavailable', 'datasetchanged', 'datasetcomplete', 'dblclick', 'deactivate', 'drag', 'dragdrop',
  'dragend', 'dragenter', 'dragexit', 'dragleave', 'dragover', 'dragstart', 'drop', 'durationchange',
  'emptied', 'end', 'ended', 'error', 'errorupdate', 'filterchange', 'finish', 'focus', 'focusin',
  'focusout', 'formdata', 'fullscreenchange', 'fullscreenerror', 'gotpointercapture', 'hashchange', 'help',
  'input', 'invalid', 'keydown', 'keypress', 'keyup', 'languagechange', 'layoutcomplete', 'load',
  'loadeddata', 'loadedmetadata', 'loadend', 'loadstart', 'losecapture', 'lostpointercapture', 'message',
  'messageerror', 'mousedown', 'mouseenter', 'mouseleave', 'mousemove', 'mouseout', 'mouseover', 'mouseup',
  'mousewheel', 'move', 'moveend', 'movestart', 'mozfullscreenchange', 'offline', 'online', 'pagehide',
  'pagereveal', 'pageshow', 'pageswap', 'paste', 'pause', 'play', 'playing', 'pointercancel', 'pointerdown',
  'pointerenter', 'pointerleave', 'pointermove', 'pointerout', 'pointerover', 'pointerrawupdate', 'pointerup',
  'popstate', 'progress', 'propertychange', 'ratechange', 'readystatechange', 'rejectionhandled', 'repeat',
  'reset', 'resize', 'resume', 'rowenter', 'rowexit', 'rowsdelete', 'rowsinserted', 'scroll', 'scrollend',
  'scrollsnapchange', 'scrollsnapchanging', 'search', 'securitypolicyviolation', 'seeked', 'seeking', 'select',
  'selectionchange', 'selectstart', 'show', 'slotchange', 'stalled', 'start', 'stop', 'storage', 'submit',
  'suspend', 'timeupdate', 'toggle', 'touchcancel', 'touchend', 'touchmove', 'touchstart',
  'transitioncancel', 'transitionend', 'transitionrun', 'transitionstart', 'unhandledrejection', 'unload',
  'volumechange', 'waiting', 'webkitanimationend', 'webkitanimationiteration', 'webkitanimationstart',
  'webkitmouseforcechanged', 'webkitmouseforcedown', 'webkitmouseforceup', 'webkitmouseforcewillbegin',
  'webkitplaybacktargetavailabilitychanged', 'webkittransitionend', 'webkitwillrevealbottom', 'wheel', 'zoom',
];

/** Known event-handler attribute names, lower case, with their `on` prefix. */
export const EVENT_HANDLERS: ReadonlySet<string> = new Set(EVENTS.map((e) => `on${e}`));

/** URL schemes that run script when navigated to or loaded. */
export const SCRIPT_SCHEMES: readonly string[] = ['javascript', 'vbscript', 'livescript'];

/** data: media types a browser renders as a document or runs as script (lower case; SVG is handled apart). */
export const ACTIVE_DATA_TYPES: ReadonlySet<string> = new Set([
  'text/html', 'application/xhtml+xml', 'text/xml', 'application/xml', 'text/xsl',
  'text/javascript', 'application/javascript', 'application/x-javascript', 'text/ecmascript',
  'application/ecmascript', 'text/vbscript', 'text/x-scriptlet', 'application/x-shockwave-flash',
  'text/jscript', 'application/hta',
]);

/**
 * JavaScript functions whose call is the purpose of a probe or a payload: dialogs, code from
 * strings, string decoding used to hide the rest. `true`: only a call with a string argument (or
 * a tagged template) counts, because the name alone is everyday code (`setTimeout(work, 10)`,
 * `constructor(opts) {`) and code from a string is what makes it a sink.
 */
export const JS_SINK_CALLS: ReadonlyMap<string, boolean> = new Map([
  ['alert', false], ['prompt', false], ['confirm', false], ['eval', false], ['msgbox', false], ['MsgBox', false],
  ['fromCharCode', false], ['atob', false], ['unescape', false], ['showModalDialog', false],
  ['setTimeout', true], ['setInterval', true], ['setImmediate', true], ['execScript', true], ['Function', true],
  ['constructor', true], ['importScripts', true],
]);

/** Browser objects whose use in code-shaped text reads or moves the victim's session (`document.cookie`). */
export const JS_SINK_PROPERTIES: readonly string[] = [
  'document.cookie', 'document.domain', 'document.write', 'document.location', 'window.location',
  'location.href', 'location.hash', 'location.replace', 'location.assign', '.innerHTML', '.outerHTML',
  'localStorage.', 'sessionStorage.', 'window.name', 'document.body', 'String.fromCharCode',
];
