import {
  AccountBookOutlined,
  AlertOutlined,
  BankOutlined,
  FileTextOutlined,
  HomeOutlined,
  TransactionOutlined,
  UploadOutlined,
} from "@ant-design/icons";
import { lazy } from "react";
import type { Page } from "../../Shell";

const DepositHome = lazy(() => import("./DepositHome"));
const DepositTopup = lazy(() => import("./DepositTopup"));
const DepositWithdraw = lazy(() => import("./DepositWithdraw"));
const DepositWarnings = lazy(() => import("./DepositWarnings"));
const DepositTransactions = lazy(() => import("./DepositTransactions"));
const DepositLedger = lazy(() => import("./DepositLedger"));
const DepositInvoicing = lazy(() => import("./DepositInvoicing"));

/** The merchant deposit center (seed 003): the portal of users bound to a merchant (portals.tsx). */
export const DEPOSIT_PAGES: Page[] = [
  {
    path: "/deposits",
    label: "nav.depHome",
    icon: <HomeOutlined />,
    needs: "GET /v1/deposit-accounts",
    element: <DepositHome />,
  },
  {
    path: "/deposits/topup",
    label: "nav.depTopup",
    icon: <BankOutlined />,
    needs: "GET /v1/deposit-accounts/{id}/topups",
    element: <DepositTopup />,
  },
  {
    path: "/deposits/withdraw",
    label: "nav.depWithdraw",
    icon: <UploadOutlined />,
    needs: "GET /v1/deposit-accounts/{id}/withdrawals",
    element: <DepositWithdraw />,
  },
  {
    path: "/deposits/warnings",
    label: "nav.depWarnings",
    icon: <AlertOutlined />,
    needs: "GET /v1/deposit-accounts/{id}",
    element: <DepositWarnings />,
  },
  {
    path: "/deposits/transactions",
    label: "nav.depTransactions",
    icon: <TransactionOutlined />,
    needs: "GET /v1/deposit-accounts/{id}/transactions",
    element: <DepositTransactions />,
  },
  {
    path: "/deposits/ledger",
    label: "nav.depLedger",
    icon: <AccountBookOutlined />,
    needs: "GET /v1/deposit-accounts/{id}/ledger",
    element: <DepositLedger />,
  },
  {
    path: "/deposits/invoicing",
    label: "nav.depInvoicing",
    icon: <FileTextOutlined />,
    needs: "GET /v1/deposit-accounts/{id}/invoice-profile",
    element: <DepositInvoicing />,
  },
];
