/* global location, ResizeObserver */
import UPlot from '/ui/vendor/uplot.mjs'
import { useEffect, useRef } from '/ui/vendor/hooks.mjs'
import { get } from '../api.js'
import { fmtNumber, fmtPercent, t } from '../i18n.js'
import { roughly } from '../progress.js'
import { ErrorBox, html } from '../util.js'
import { planOf } from './builds.js'
import { productName } from './plans.js'
import { useLoad } from './use-load.js'
import { useHead } from '../head.js'

const LASTS = [20, 50, 100, 200, 500]
const tHome = () => t('nav.home')
const pct = (x) => x == null ? '—' : fmtPercent(x)
const secs = (x) => x == null ? '—' : roughly(x)

/** Flaky stages first (most flips first), then the others in the order they first ran. */
export function flakyFirst (list) {
  const flaky = list.filter((s) => s.Flaky).sort((a, b) => b.FlipRate - a.FlipRate)
  return [...flaky, ...list.filter((s) => !s.Flaky)]
}

/** The stages with the longest median of their passed runs, longest first. */
export const slowest = (list, n = 5) => list.filter((s) => s.MedianDuration != null)
  .sort((a, b) => b.MedianDuration - a.MedianDuration).slice(0, n)

/** Links to the builds in which the stage failed, newest first. */
function FailedIn ({ stage, base, max = 6 }) {
  if (stage.FailedBuilds.length === 0) return html`<span class="muted">${t('insights.failedNone')}</span>`
  return html`<span class="failed-in">${stage.FailedBuilds.slice(0, max).map((i) => html`<a href=${`${base}/build/${i}`}>#${i}</a> `)}${stage.FailedBuilds.length > max ? '…' : ''}</span>`
}

/** Pass rate as a bar (SVG: no inline style, which the CSP forbids) and its figure. */
const RateBar = ({ rate }) => html`<span class="rate">
  <svg width="80" height="10" viewBox="0 0 80 10" aria-hidden="true"><rect class="rate-bg" width="80" height="10" rx="2" />
    <rect class=${rate == null ? '' : rate >= 0.9 ? 'rate-ok' : rate >= 0.6 ? 'rate-mid' : 'rate-bad'} width=${Math.round((rate ?? 0) * 80)} height="10" rx="2" /></svg>
  <span>${pct(rate)}</span></span>`

/** One stage's durations over the last builds, a small uPlot line chart (gaps where it did not run). */
function DurationChart ({ stage, buildIndexes }) {
  const box = useRef(null)
  useEffect(() => {
    const el = box.current
    if (el == null) return
    const width = () => Math.max(200, Math.min(520, el.clientWidth || 320))
    // failed runs drawn again as red points: a drop in the line is then visibly a failure, not a speed-up
    const failed = new Set(stage.FailedBuilds)
    const failedAt = stage.Durations.map((d, i) => failed.has(buildIndexes[i]) ? d : null)
    const chart = new UPlot({
      width: width(),
      height: 140,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false } },
      axes: [
        { values: (u, splits) => splits.map((v) => Number.isInteger(v) && buildIndexes[v] != null ? `#${buildIndexes[v]}` : '') },
        { label: t('insights.seconds'), size: 48 }
      ],
      series: [{}, { label: stage.StageName, stroke: '#2457c5', width: 2, spanGaps: false, points: { size: 5 } },
        { label: t('insights.legendFail'), stroke: '#c62828', paths: () => null, points: { show: true, size: 8, stroke: '#c62828', fill: '#c62828' } }]
    }, [buildIndexes.map((_, i) => i), stage.Durations, failedAt], el)
    const ro = typeof ResizeObserver === 'function' ? new ResizeObserver(() => chart.setSize({ width: width(), height: 140 })) : null
    ro?.observe(el)
    return () => { ro?.disconnect(); chart.destroy() }
  }, [stage, buildIndexes])
  return html`<div class="chart" ref=${box} role="img" aria-label=${t('insights.chartLabel', { stage: stage.StageName })} />`
}

export function InsightsPage ({ productId, planId, query }) {
  const last = LASTS.includes(Number(query.last)) ? Number(query.last) : 50
  const base = `#/product/${productId}/plan/${planId}`
  const { data, error, loading } = useLoad(async () => {
    const [prod, plan, stats] = await Promise.all([
      productName(productId), planOf(productId, planId), get('/Stage/stats', { DevOpsPlanID: planId, Last: last })
    ])
    return { prod, plan, stats }
  }, [productId, planId, last])
  const stats = data?.stats
  useHead(data ? `${t('insights.title')} · ${data.plan.PlanName}` : t('insights.title'))
  const list = stats?.StageList ?? []
  const flaky = list.filter((s) => s.Flaky)
  const onLast = (e) => { location.hash = `${base}/insights?last=${e.currentTarget.value}` }
  return html`
    <nav class="crumbs" aria-label=${t('nav.crumbs')}>
      <a href="#/">${tHome()}</a> › <a href=${`#/product/${productId}`}>${data?.prod ?? '…'}</a> › <a href=${base}>${data?.plan.PlanName ?? '…'}</a> › <span>${t('insights.title')}</span>
    </nav>
    <h1 tabindex="-1">${t('insights.title')} <small>${stats ? t('insights.subtitle', { n: fmtNumber(stats.BuildCount) }) : ''}</small></h1>
    <div class="toolbar">
      <label>${t('insights.last')} <select value=${String(last)} onChange=${onLast}>
        ${LASTS.map((n) => html`<option value=${String(n)}>${fmtNumber(n)}</option>`)}
      </select></label>
    </div>
    <${ErrorBox} error=${error} />
    ${loading ? html`<p class="loading">${t('common.loading')}</p>` : null}
    ${stats && stats.BuildCount === 0 ? html`<p class="empty">${t('insights.none')}</p>` : null}
    ${stats && stats.BuildCount > 0
      ? html`
      <div class="insights-top">
        <section class="panel flaky">
          <h2>${t('insights.flaky')} <small>${fmtNumber(flaky.length)}</small></h2>
          ${flaky.length === 0
            ? html`<p class="empty">${t('insights.flakyNone')}</p>`
            : html`<ul class="plain">${flaky.sort((a, b) => b.FlipRate - a.FlipRate).map((s) => html`
              <li key=${s.StageName}><b>${s.StageName}</b> <span class="tag flaky-tag">${t('insights.flips', { rate: pct(s.FlipRate) })}</span>
                <${RateBar} rate=${s.PassRate} /> <${FailedIn} stage=${s} base=${base} /></li>`)}</ul>`}
          <p class="help">${t('insights.flakyHelp')}</p>
        </section>
        <section class="panel slowest">
          <h2>${t('insights.slowest')} <small>${t('insights.slowestHelp')}</small></h2>
          <ol class="plain">${slowest(list).map((s) => html`
            <li key=${s.StageName}><b>${s.StageName}</b> ${secs(s.MedianDuration)} <span class="muted">${t('insights.p90Of', { time: secs(s.P90Duration) })}</span></li>`)}</ol>
        </section>
      </div>
      <section class="panel">
        <h2>${t('insights.passRate')}</h2>
        <div class="table-wrap"><table class="grid insights">
          <thead><tr><th>${t('insights.col.stage')}</th><th>${t('insights.col.passRate')}</th><th>${t('insights.col.runs')}</th>
            <th>${t('insights.col.median')}</th><th>${t('insights.col.p90')}</th><th>${t('insights.col.skipped')}</th><th>${t('insights.col.failedIn')}</th></tr></thead>
          <tbody>${flakyFirst(list).map((s) => html`
            <tr key=${s.StageName} class=${s.Flaky ? 'is-flaky' : ''}>
              <td>${s.StageName}${s.Flaky ? html` <span class="tag flaky-tag">${t('insights.flakyTag')}</span>` : null}</td>
              <td title=${t('insights.passRateOf', { pass: fmtNumber(s.Pass), runs: fmtNumber(s.Runs) })}><${RateBar} rate=${s.PassRate} /></td>
              <td class="num">${fmtNumber(s.Runs)}</td><td class="num">${secs(s.MedianDuration)}</td><td class="num">${secs(s.P90Duration)}</td>
              <td class="num">${fmtNumber(s.Skipped)}</td><td><${FailedIn} stage=${s} base=${base} /></td>
            </tr>`)}</tbody>
        </table></div>
      </section>
      <section class="panel">
        <h2>${t('insights.durations')} <small>${t('insights.durationsHelp')}</small></h2>
        <p class="help"><span class="legend-line" /> ${t('insights.legendRun')} <span class="legend-fail" /> ${t('insights.legendFail')}</p>
        <div class="charts">${flakyFirst(list).map((s) => html`
          <figure key=${s.StageName} class="stage-chart"><figcaption>${s.StageName} <span class="muted">${secs(s.MedianDuration)}</span></figcaption>
            <${DurationChart} stage=${s} buildIndexes=${stats.BuildIndexes} /></figure>`)}</div>
      </section>`
      : null}`
}
