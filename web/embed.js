// Thermolab's widget for tutorials. One script tag,
//   <script src="https://SITE/embed.js"></script>
// then, anywhere in the page,
//   <thermolab-lab lab="bandits" params="temperature=0.1&arms=5" controls="temperature" autoplay></thermolab-lab>
//
// Each element wraps an iframe of the lab (index.html#lab=...&embed=1), sized
// to the lab's page. The frame is made when the element first comes near the
// screen, and a running lab is paused while it is off screen, so a tutorial
// with ten widgets does not run ten labs at once.
//
// Attributes: lab, params (key=value&...), controls (the params shown, comma
// separated), hide, seed, preset, autoplay. Changing `params` changes the
// running lab's params; changing another attribute reloads the lab.
// Methods: play(), pause(), step(), reset(), setParams({key: value}).
// Events (detail: the lab's message): thermolab-ready, thermolab-progress
// ({step, status: {state}, figures}), thermolab-rejected ({message}).
// The protocol underneath is the iframe's (docs/embedding.md): this file
// only speaks it from a custom element.
(() => {
  const VERSION = 1;
  const here = document.currentScript;
  const SITE = new URL('./', here ? here.src : location.href);
  // Attributes that make up the lab's link: changing one reloads the frame.
  const LINK_ATTRIBUTES = ['lab', 'controls', 'hide', 'seed', 'preset'];
  const MIN_HEIGHT = 160;
  const INITIAL_HEIGHT = 480;
  const MAX_HEIGHT = 4000;

  class ThermolabLab extends HTMLElement {
    static get observedAttributes() {
      return [...LINK_ATTRIBUTES, 'params'];
    }

    constructor() {
      super();
      this.frame = null;
      this.ready = false;
      this.queue = [];
      this.visible = false;
      this.autoplayed = false;
      this.pausedOffScreen = false;
      this.status = null;
      this.step = 0;
      this.onMessage = (event) => this.receive(event);
    }

    connectedCallback() {
      this.style.display = 'block';
      // Room for the lab before it loads: without it every widget would be
      // 0 pixels tall, and all of them on screen at once.
      if (!this.frame) this.style.minHeight = `${INITIAL_HEIGHT}px`;
      window.addEventListener('message', this.onMessage);
      this.observer = new IntersectionObserver((entries) => {
        for (const entry of entries) this.seen(entry.isIntersecting);
      }, { rootMargin: '200px 0px' });
      this.observer.observe(this);
    }

    disconnectedCallback() {
      window.removeEventListener('message', this.onMessage);
      this.observer?.disconnect();
    }

    attributeChangedCallback(name, old, value) {
      if (!this.frame || old === value) return;
      if (name === 'params') this.setParams(Object.fromEntries(new URLSearchParams(value ?? '')));
      else this.load();
    }

    play() { this.send({ type: 'play' }); }
    pause() { this.send({ type: 'pause' }); }
    step() { this.send({ type: 'step' }); }
    reset() { this.send({ type: 'reset' }); }
    setParams(params) { this.send({ type: 'set', params }); }

    // The lab's link: its attributes, shown in the compact embed layout, with
    // this page's origin allowed to drive it when the two differ.
    link() {
      const link = new URLSearchParams();
      link.set('lab', this.getAttribute('lab') ?? '');
      for (const [key, value] of new URLSearchParams(this.getAttribute('params') ?? '')) link.set(key, value);
      for (const key of ['seed', 'preset', 'controls', 'hide']) {
        if (this.hasAttribute(key)) link.set(key, this.getAttribute(key));
      }
      link.set('embed', '1');
      if (location.origin !== SITE.origin && location.origin !== 'null') link.set('origin', location.origin);
      return new URL(`index.html#${link}`, SITE).href;
    }

    load() {
      if (!this.frame) {
        const root = this.attachShadow({ mode: 'open' });
        this.frame = document.createElement('iframe');
        this.frame.title = this.getAttribute('title') ?? `Thermolab: ${this.getAttribute('lab')}`;
        Object.assign(this.frame.style, {
          display: 'block', width: '100%', height: `${INITIAL_HEIGHT}px`, border: '0',
        });
        root.append(this.frame);
      }
      this.ready = false;
      this.autoplayed = false;
      this.frame.src = this.link();
    }

    seen(visible) {
      this.visible = visible;
      if (visible && !this.frame) this.load();
      if (!this.ready) return;
      if (!visible && this.status === 'running') {
        this.pause();
        this.pausedOffScreen = true;
      } else if (visible && this.pausedOffScreen) {
        this.pausedOffScreen = false;
        this.play();
      } else if (visible) {
        this.autoplay();
      }
    }

    autoplay() {
      if (this.hasAttribute('autoplay') && !this.autoplayed && this.visible) {
        this.autoplayed = true;
        this.play();
      }
    }

    send(message) {
      const full = { thermolab: VERSION, ...message };
      if (this.ready) this.frame.contentWindow.postMessage(full, SITE.origin);
      else this.queue.push(full);
    }

    receive(event) {
      if (!this.frame || event.source !== this.frame.contentWindow || event.origin !== SITE.origin) return;
      const data = event.data;
      if (!data || data.thermolab !== VERSION || typeof data.type !== 'string') return;
      if (data.type === 'size') {
        const height = Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, Number(data.height) || MIN_HEIGHT));
        this.frame.style.height = `${height}px`;
        this.style.minHeight = '';
        return;
      }
      if (data.type === 'ready') {
        this.ready = true;
        for (const message of this.queue.splice(0)) this.frame.contentWindow.postMessage(message, SITE.origin);
        this.autoplay();
      }
      if (data.type === 'progress') {
        this.status = data.status?.state ?? null;
        this.step = data.step;
      }
      this.dispatchEvent(new CustomEvent(`thermolab-${data.type}`, { detail: data, bubbles: true }));
    }
  }

  if (!customElements.get('thermolab-lab')) customElements.define('thermolab-lab', ThermolabLab);
})();
