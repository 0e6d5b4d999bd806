import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.js';
import './app/app.css';
import { getDesktopApi } from './bridge/getDesktopApi.js';
import { createAppStore } from './store/appStore.js';
import { StoreProvider } from './store/StoreProvider.js';

const { api, connection } = getDesktopApi();
const store = createAppStore({
  api,
  connection,
  openWindow: (url) => {
    window.open(url, '_blank', 'noopener');
  },
  preferences: window.localStorage,
  now: Date.now,
});
// Event subscriptions live for the whole page; started outside React so StrictMode's double
// effects cannot subscribe twice.
store.getState().start();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <StoreProvider store={store}>
      <App />
    </StoreProvider>
  </StrictMode>,
);
