import { Tabs } from "antd";
import { useSearchParams } from "react-router-dom";
import { PageHeader } from "../../components/Page";
import { useI18n } from "../../i18n/i18n";
import CouponAllocation from "./CouponAllocation";
import ResourcePackages from "./ResourcePackages";

/** Benefits Management in the Enterprise Center (seed 000): two tabs, the tab in the URL. */
export default function Benefits() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const tab = params.get("tab") === "coupons" ? "coupons" : "packages";
  return (
    <>
      <PageHeader title={t("nav.benefitsManagement")} />
      <Tabs
        activeKey={tab}
        onChange={(key) => setParams({ tab: key })}
        items={[
          { key: "packages", label: t("ent.tab.packages"), children: <ResourcePackages /> },
          { key: "coupons", label: t("ent.tab.coupons"), children: <CouponAllocation /> },
        ]}
      />
    </>
  );
}
