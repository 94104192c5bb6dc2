// Registers the service worker (sw.js, written by web/offline.mjs) and says,
// in a small notice, when the site is ready offline and when a new version
// is waiting (with a button that lets it take over and reloads the page).
(() => {
  if (!('serviceWorker' in navigator) || !location.protocol.startsWith('http')) return;
  const status = document.getElementById('offline-status');
  const say = (text, action) => {
    status.replaceChildren(text);
    if (action) {
      const button = document.createElement('button');
      button.textContent = action.label;
      button.dataset.testid = 'offline-action';
      button.addEventListener('click', action.run);
      status.append(' ', button);
    }
    status.dataset.state = action ? 'update' : 'ready';
    status.hidden = false;
  };
  let takingOver = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (takingOver) location.reload();
  });
  navigator.serviceWorker.register('./sw.js').then((registration) => {
    const offerUpdate = () => say('A new version of Thermolab is ready.', {
      label: 'Reload to use it',
      run: () => {
        takingOver = true;
        registration.waiting?.postMessage('take-over');
      },
    });
    if (registration.waiting && navigator.serviceWorker.controller) offerUpdate();
    registration.addEventListener('updatefound', () => {
      const worker = registration.installing;
      worker?.addEventListener('statechange', () => {
        if (worker.state === 'installed' && navigator.serviceWorker.controller) offerUpdate();
      });
    });
    navigator.serviceWorker.ready.then(() => {
      if (!registration.waiting) say('Ready offline: every lab works without a network now.');
    });
  }).catch((error) => {
    say(`Not available offline: ${error.message}`);
  });
})();
