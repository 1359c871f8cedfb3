// Demo mode: with no vendor configured, the service runs against the embedded simulators so that a new
// user can explore it with no vendor account.
import type { SourceConfig } from '../config/source-config.js'
import { resolveSource } from '../config/source-config.js'
import { startDingTalkSimulator, startFeishuSimulator } from '../simulators/index.js'

export interface DemoSources {
  sources: SourceConfig[]
  close(): Promise<void>
}

export async function startDemoSources(): Promise<DemoSources> {
  const [feishu, dingtalk] = await Promise.all([startFeishuSimulator(), startDingTalkSimulator()])
  return {
    sources: [
      resolveSource({
        id: 'feishu',
        vendor: 'feishu',
        baseUrl: feishu.url,
        appId: feishu.credentials.appId,
        appSecret: feishu.credentials.appSecret,
      }),
      resolveSource({
        id: 'dingtalk',
        vendor: 'dingtalk',
        baseUrl: dingtalk.url,
        appKey: dingtalk.credentials.appKey,
        appSecret: dingtalk.credentials.appSecret,
        // The simulators make up data for any date, and the README's examples are fixed dates: the demo
        // serves them whatever today is. Real DingTalk sources keep the 180-day rule.
        retentionDays: 0,
      }),
    ],
    close: async () => {
      await Promise.all([feishu.close(), dingtalk.close()])
    },
  }
}
