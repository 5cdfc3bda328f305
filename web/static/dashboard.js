'use strict';
/*
 * The dashboard's script (docs/dashboard.md, "In the browser"), plain JavaScript with no build:
 * - times: every <time datetime> shows UTC as the server wrote it, or the browser's zone on a
 *   click of "Times", remembered in localStorage;
 * - auto-refresh: every data-refresh-seconds, the page's #live part is fetched again from the
 *   same URL with fragment=live and replaced, the rest of the page (charts, the run panel) kept;
 * - the Runs grid: a click on a cell shows the run's detail in #run-detail without leaving the page;
 * - charts: each .chart holding a <script type="application/json"> option is drawn again with
 *   echarts in the browser, which makes it zoomable (the server's SVG shows until then, and
 *   without JavaScript).
 * Every page works without it.
 */
(function () {
  const ZONE_KEY = 'dashboard.localTimes';
  const REFRESH_KEY = 'dashboard.refresh';

  function pad(n) {
    return String(n).padStart(2, '0');
  }

  function formatTime(date, local, short) {
    if (!local) {
      const text = date.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
      return short ? text.slice(11, 16) : text;
    }
    const hm = pad(date.getHours()) + ':' + pad(date.getMinutes());
    if (short) return hm;
    const zone = new Intl.DateTimeFormat(undefined, { timeZoneName: 'short' })
      .formatToParts(date)
      .find((part) => part.type === 'timeZoneName');
    return (
      date.getFullYear() +
      '-' +
      pad(date.getMonth() + 1) +
      '-' +
      pad(date.getDate()) +
      ' ' +
      hm +
      ':' +
      pad(date.getSeconds()) +
      ' ' +
      (zone ? zone.value : '')
    );
  }

  function localTimes() {
    return localStorage.getItem(ZONE_KEY) === 'true';
  }

  function showTimes(root) {
    const local = localTimes();
    for (const element of root.querySelectorAll('time[datetime]')) {
      const date = new Date(element.getAttribute('datetime'));
      if (!Number.isNaN(date.getTime()))
        element.textContent = formatTime(date, local, element.classList.contains('short'));
    }
    const button = document.getElementById('tz-toggle');
    if (button) {
      button.textContent = local ? "Times: this browser's zone" : 'Times: UTC';
      button.setAttribute('aria-pressed', String(local));
    }
  }

  function setUpTimeToggle() {
    const button = document.getElementById('tz-toggle');
    if (!button) return;
    button.hidden = false;
    button.addEventListener('click', () => {
      localStorage.setItem(ZONE_KEY, String(!localTimes()));
      showTimes(document);
    });
  }

  const charts = [];

  function drawCharts(root) {
    if (typeof echarts === 'undefined') return;
    for (const holder of root.querySelectorAll('.chart[data-option]')) {
      const data = document.getElementById(holder.getAttribute('data-option'));
      const target = holder.querySelector('.chart-canvas');
      if (!data || !target) continue;
      const option = JSON.parse(data.textContent);
      // The server's height (CSSOM, which the CSP allows), and shown first: echarts takes the
      // size of its element, which is 0 while it is hidden.
      const image = holder.querySelector('img.chart-svg');
      if (image) target.style.height = image.getAttribute('height') + 'px';
      holder.classList.add('interactive');
      // Canvas: the SVG renderer would set style attributes, which the page's CSP refuses.
      const chart = echarts.init(target, null, { renderer: 'canvas' });
      chart.setOption(option);
      charts.push(chart);
    }
  }

  function setUpRefresh() {
    const seconds = Number(document.body.getAttribute('data-refresh-seconds'));
    const region = document.getElementById('live');
    const button = document.getElementById('refresh-toggle');
    if (!region || !(seconds > 0) || !button) return;
    let on = localStorage.getItem(REFRESH_KEY) !== 'off';
    const label = () => {
      button.textContent = on ? 'Auto-refresh: every ' + seconds + ' s' : 'Auto-refresh: off';
      button.setAttribute('aria-pressed', String(on));
    };
    button.hidden = false;
    label();
    button.addEventListener('click', () => {
      on = !on;
      localStorage.setItem(REFRESH_KEY, on ? 'on' : 'off');
      label();
    });
    setInterval(async () => {
      if (!on || document.hidden) return;
      const live = document.getElementById('live');
      const url = new URL(live.getAttribute('data-refresh-url'), location.href);
      url.searchParams.set('fragment', 'live');
      try {
        const response = await fetch(url, { headers: { Accept: 'text/html' }, credentials: 'same-origin' });
        if (!response.ok) return;
        // The server's own escaped markup, the same as the page was made of.
        live.innerHTML = await response.text();
        live.setAttribute('data-refreshed-at', new Date().toISOString());
        showTimes(live);
      } catch {
        // The next tick tries again.
      }
    }, seconds * 1000);
  }

  async function showRun(link) {
    const panel = document.getElementById('run-detail');
    const runId = link.getAttribute('data-run-id');
    if (!panel || !runId) return false;
    const response = await fetch('/runs/' + encodeURIComponent(runId) + '/detail', { credentials: 'same-origin' });
    const holder = document.createElement('div');
    holder.innerHTML = await response.text();
    const section = holder.querySelector('#run-detail');
    if (!section) return false;
    panel.replaceWith(section);
    showTimes(section);
    history.replaceState(null, '', link.getAttribute('href'));
    section.scrollIntoView({ block: 'nearest' });
    return true;
  }

  function setUpRunClicks() {
    if (!document.getElementById('run-detail')) return;
    document.addEventListener('click', (event) => {
      const link = event.target instanceof Element ? event.target.closest('a.cell[data-run-id]') : null;
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      showRun(link).then(
        (shown) => {
          if (!shown) location.href = link.href;
        },
        () => {
          location.href = link.href;
        },
      );
    });
  }

  document.addEventListener('DOMContentLoaded', () => {
    setUpTimeToggle();
    showTimes(document);
    setUpRefresh();
    setUpRunClicks();
    drawCharts(document);
    window.addEventListener('resize', () => charts.forEach((chart) => chart.resize()));
  });
})();
