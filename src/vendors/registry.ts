// The vendors the service speaks to, by the `vendor` name a source is configured with. A new vendor is a
// folder with its definition and one line here.
import type { SourceConfig } from '../config/source-config.js'
import { dingTalkVendor } from './dingtalk/vendor.js'
import { feishuVendor } from './feishu/vendor.js'
import type { VendorDefinition } from './vendor-definition.js'

const VENDORS = {
  feishu: feishuVendor,
  dingtalk: dingTalkVendor,
} satisfies { [V in SourceConfig['vendor']]: VendorDefinition<Extract<SourceConfig, { vendor: V }>> }

export function vendorOf<C extends SourceConfig>(source: C): VendorDefinition<C> {
  return VENDORS[source.vendor] as unknown as VendorDefinition<C>
}
