// Building the page: elements are made with `h()`, text always as text nodes (never HTML parsed from
// data), so nothing an API answer holds can become markup or script.

/** @typedef {string | number | Node | null | undefined | false} Child */
/** @typedef {Child | Child[] | (Child | Child[])[] | (Child | Child[] | (Child | Child[])[])[]} Children nested lists of children, flattened when appended */
/** @typedef {string | number | boolean | null | undefined | EventListener} AttributeValue */

/**
 * @param {Element} element
 * @param {Record<string, AttributeValue>} attributes
 */
function setAttributes(element, attributes) {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
}

/**
 * @param {Node} parent
 * @param {Children[]} children
 */
function append(parent, children) {
  for (const child of /** @type {Child[]} */ (children.flat(Infinity))) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/**
 * An HTML element: `h("button", {type: "button", onclick: run}, "Lancer")`.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, AttributeValue>} [attributes]
 * @param {...Children} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  append(element, children);
  return element;
}

/**
 * An SVG element (charts).
 * @param {string} tag
 * @param {Record<string, AttributeValue>} [attributes]
 * @param {...Children} children
 * @returns {SVGElement}
 */
export function svg(tag, attributes = {}, ...children) {
  const element = /** @type {SVGElement} */ (document.createElementNS("http://www.w3.org/2000/svg", tag));
  setAttributes(element, attributes);
  append(element, children);
  return element;
}

/**
 * Replace an element's content.
 * @param {Element} element
 * @param {...Children} children
 */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

let counter = 0;

/**
 * A fresh id for tying a label to its control.
 * @param {string} prefix
 */
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}
