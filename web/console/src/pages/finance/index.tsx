import {
  AuditOutlined,
  BankOutlined,
  FileDoneOutlined,
  SafetyCertificateOutlined,
  ToolOutlined,
} from "@ant-design/icons";
import { lazy } from "react";
import type { Page } from "../../Shell";

const FinanceWithdrawals = lazy(() => import("./FinanceWithdrawals"));
const FinanceBankRecords = lazy(() => import("./FinanceBankRecords"));
const FinanceQualifications = lazy(() => import("./FinanceQualifications"));
const FinanceManual = lazy(() => import("./FinanceManual"));
const FinanceInvoices = lazy(() => import("./FinanceInvoices"));

/** The platform finance desk (seed 003): its queues are tenant-wide, so only tenant-wide finance staff see it. */
export const FINANCE_PAGES: Page[] = [
  {
    path: "/finance/withdrawals",
    label: "nav.deskWithdrawals",
    icon: <AuditOutlined />,
    needs: "GET /v1/deposit-withdrawals",
    element: <FinanceWithdrawals />,
    group: "finance",
  },
  {
    path: "/finance/bank-records",
    label: "nav.deskBankRecords",
    icon: <BankOutlined />,
    needs: "GET /v1/deposit-bank-records",
    element: <FinanceBankRecords />,
    group: "finance",
  },
  {
    path: "/finance/qualifications",
    label: "nav.deskQualifications",
    icon: <SafetyCertificateOutlined />,
    needs: "GET /v1/deposit-invoice-profiles",
    element: <FinanceQualifications />,
    group: "finance",
  },
  {
    path: "/finance/manual",
    label: "nav.deskManual",
    icon: <ToolOutlined />,
    needs: "GET /v1/deposit-manual-items",
    element: <FinanceManual />,
    group: "finance",
  },
  {
    path: "/finance/invoices",
    label: "nav.deskInvoices",
    icon: <FileDoneOutlined />,
    needs: "GET /v1/deposit-invoice-requests",
    element: <FinanceInvoices />,
    group: "finance",
  },
];
